import { nodeUrl } from '../lib/app';
import { call } from '../lib/http';
import { runLoad } from '../lib/load';
import { Measured, measured } from '../lib/stats';

export const BANK_STRATEGIES = ['vulnerable', 'safe', 'read-committed', 'repeatable-read', 'serializable'] as const;
type Figures = Record<'throughput' | 'p50_ms' | 'p99_ms' | 'succeeded', Measured>;

export interface BankResult {
  concurrency: number;
  strategies: Record<string, Figures>;
}

/**
 * transfers/s per transfer strategy (vulnerable, safe, and check-then-act per isolation level)
 * with the debug delay and the barrier off. Every transfer moves 0.01 from alice to bob or charlie
 * (alternately): one hot account, rows always locked in the same order. Transfers in opposite
 * directions would measure PostgreSQL's deadlock_timeout (1 s per victim) instead, since the
 * isolation-level strategies take no locks in a fixed order (see bench/README.md). Rounds are
 * interleaved and the bank is reset before every run.
 */
export async function benchBank(opts: { reps: number; durationMs: number; concurrency: number }): Promise<BankResult> {
  const base = nodeUrl(8100);
  const select = async (strategy: string) => {
    await call('POST', `${base}/admin/settings`, {
      transfer_strategy: strategy,
      delay_enabled: false,
      barrier_enabled: false,
    });
    await call('POST', `${base}/reset`);
  };
  const body = (i: number) => ({ from_account: 'alice', to_account: i % 2 ? 'bob' : 'charlie', amount: 0.01 });
  const raw: Record<string, Array<Record<keyof Figures, number>>> = {};
  const original = await call<Record<string, unknown>>('GET', `${base}/admin/settings`);
  try {
    for (const strategy of BANK_STRATEGIES) {
      await select(strategy);
      await runLoad({ url: `${base}/transfer`, body, concurrency: opts.concurrency, durationMs: 500 });
    }
    for (let rep = 0; rep < opts.reps; rep++) {
      for (const strategy of BANK_STRATEGIES) {
        await select(strategy);
        const r = await runLoad({
          url: `${base}/transfer`,
          body,
          concurrency: opts.concurrency,
          durationMs: opts.durationMs,
        });
        if (r.errors) throw new Error(`bank ${strategy}: ${r.errors} connection errors`);
        (raw[strategy] ??= []).push({
          throughput: r.throughput,
          p50_ms: r.p50_ms,
          p99_ms: r.p99_ms,
          succeeded: (r.requests - r.non2xx) / r.seconds,
        });
      }
    }
  } finally {
    await call('POST', `${base}/admin/settings`, {
      transfer_strategy: original.transfer_strategy,
      delay_enabled: original.delay_enabled,
      barrier_enabled: original.barrier_enabled,
    }).catch(() => undefined);
    await call('POST', `${base}/reset`).catch(() => undefined);
  }
  const figures = (key: string): Figures => ({
    throughput: measured(raw[key].map((r) => r.throughput)),
    p50_ms: measured(raw[key].map((r) => r.p50_ms)),
    p99_ms: measured(raw[key].map((r) => r.p99_ms)),
    succeeded: measured(raw[key].map((r) => r.succeeded)),
  });
  return { concurrency: opts.concurrency, strategies: Object.fromEntries(BANK_STRATEGIES.map((s) => [s, figures(s)])) };
}
