import { nodeUrl, sleep } from '../lib/app';
import { call, waitFor } from '../lib/http';
import { runLoad } from '../lib/load';
import { Measured, measured } from '../lib/stats';

export const COUNTER_PATHS = ['gateway', 'region', 'strong'] as const;
type Path = (typeof COUNTER_PATHS)[number];
type Figures = Record<'throughput' | 'p50_ms' | 'p99_ms', Measured>;

export interface CounterResult {
  concurrency: number;
  coordination_delay_ms: number;
  sync_interval_ms: number;
  increments: Record<Path, Figures>;
  heal_to_convergence_ms: Measured;
  gateway_heal_to_convergence_ms: Measured;
  /** The key figure: the median of the repetitions (eventual_vs_strong_throughput_spread has them all). */
  eventual_vs_strong_throughput: number;
  eventual_vs_strong_throughput_spread: Measured;
}

const GATEWAY = nodeUrl(8300, 80);
const US_EAST = nodeUrl(8300, 1);
const STRONG = nodeUrl(8300, 4);

interface GlobalView {
  convergence: { converged: boolean };
}

/**
 * increments/s of the CRDT counter through the gateway (random routing) and directly on us-east,
 * against the strong counter with its seed coordination delay (paid twice per increment). Then,
 * per repetition: partition us-east, increment on both sides, heal, and time until every region
 * holds the same node maps (polled through the gateway; the gateway's own measurement beside it).
 * Nothing forces a sync: convergence waits for the next anti-entropy round (seed: every 5 s).
 */
export async function benchCounter(opts: {
  reps: number;
  durationMs: number;
  concurrency: number;
}): Promise<CounterResult> {
  const urls: Record<Path, string> = {
    gateway: `${GATEWAY}/api/increment`,
    region: `${US_EAST}/increment`,
    strong: `${STRONG}/increment`,
  };
  const raw: Record<string, Array<Record<keyof Figures, number>>> = {};
  const ratios: number[] = [];
  const heals: number[] = [];
  const gatewayHeals: number[] = [];
  await call('POST', `${GATEWAY}/admin/partition/all?enabled=false`);
  const strongHealth = await call<Record<string, unknown>>('GET', `${STRONG}/health`);
  const sync = await call<{ interval_ms: number }>('GET', `${GATEWAY}/admin/sync-settings`);
  const probe = await call<{ coordination_delay_ms?: number }>('POST', urls.strong, {
    counter_name: 'bench-probe',
    amount: 1,
  });
  try {
    for (let rep = 0; rep < opts.reps; rep++) {
      const round: Partial<Record<Path, number>> = {};
      for (const path of COUNTER_PATHS) {
        const counter = `bench-${path}-${Date.now()}`;
        const r = await runLoad({
          url: urls[path],
          body: { counter_name: counter, amount: 1 },
          concurrency: opts.concurrency,
          durationMs: opts.durationMs,
        });
        if (r.errors || r.non2xx) throw new Error(`counter ${path}: ${r.errors} errors, ${r.non2xx} non-2xx`);
        (raw[path] ??= []).push({ throughput: r.throughput, p50_ms: r.p50_ms, p99_ms: r.p99_ms });
        round[path] = r.throughput;
      }
      ratios.push(round.gateway! / round.strong!);
      const heal = await healToConvergence(`bench-heal-${Date.now()}`, sync.interval_ms);
      heals.push(heal.client);
      if (heal.gateway !== null) gatewayHeals.push(heal.gateway);
    }
  } finally {
    await call('POST', `${GATEWAY}/admin/partition/all?enabled=false`).catch(() => undefined);
  }
  const figures = (path: Path): Figures => ({
    throughput: measured(raw[path].map((r) => r.throughput)),
    p50_ms: measured(raw[path].map((r) => r.p50_ms)),
    p99_ms: measured(raw[path].map((r) => r.p99_ms)),
  });
  return {
    concurrency: opts.concurrency,
    coordination_delay_ms: Number(probe.coordination_delay_ms ?? strongHealth.coordination_delay_ms ?? NaN),
    sync_interval_ms: sync.interval_ms,
    increments: { gateway: figures('gateway'), region: figures('region'), strong: figures('strong') },
    heal_to_convergence_ms: measured(heals),
    gateway_heal_to_convergence_ms: measured(gatewayHeals.length ? gatewayHeals : [NaN]),
    eventual_vs_strong_throughput: measured(ratios).median,
    eventual_vs_strong_throughput_spread: measured(ratios),
  };
}

async function healToConvergence(
  counter: string,
  syncIntervalMs: number,
): Promise<{ client: number; gateway: number | null }> {
  await call('POST', `${GATEWAY}/admin/partition/us-east?enabled=true`);
  try {
    for (let i = 0; i < 20; i++) {
      await call('POST', `${US_EAST}/increment`, { counter_name: counter, amount: 1 });
      await call('POST', `${GATEWAY}/api/increment`, {
        counter_name: counter,
        amount: 1,
        routing: i % 2 ? 'us-west' : 'eu-west',
      });
    }
    await sleep(200);
  } finally {
    await call('POST', `${GATEWAY}/admin/partition/us-east?enabled=false`);
  }
  const healed = Date.now();
  await waitFor(
    `${counter} to converge after the heal`,
    async () =>
      (await call<GlobalView>('GET', `${GATEWAY}/api/counter/${counter}`, undefined, 5000)).convergence.converged
        ? true
        : undefined,
    3 * syncIntervalMs + 10000,
    25,
  );
  const client = Date.now() - healed;
  const report = await waitFor(
    'the gateway heal report',
    async () => {
      const r = await call<{ last_heal: { status: string; heal_to_convergence_ms: number | null } | null }>(
        'GET',
        `${GATEWAY}/api/convergence`,
      );
      return r.last_heal && r.last_heal.status !== 'watching' ? r.last_heal : undefined;
    },
    5000,
    100,
  ).catch(() => null);
  return { client, gateway: report?.heal_to_convergence_ms ?? null };
}
