import { get, post, request } from '../utils/http';

export interface TransferLog {
  id: string;
  status: string;
  from_balance_before: number;
  from_balance_after: number;
  strategy: string;
  attempts: number;
  barrier?: { status: string; waited_ms: number; arrived?: number; needed?: number };
  /** Present when the transfer was refused: the uniform error body. */
  code?: string;
  details?: Array<{ field: string; errors?: string[] }>;
  detail?: string;
}

/** The bank node's API, as the seed runbook calls it (port 8000 + the test shift, no prefix). */
export class BankClient {
  constructor(readonly base: string) {}

  transfer(from: string, to: string, amount: unknown) {
    return post<TransferLog>(`${this.base}/transfer`, { from_account: from, to_account: to, amount });
  }

  raw(method: string, path: string, body?: string, headers?: Record<string, string>) {
    return request(method, `${this.base}${path}`, body, headers);
  }

  async balances(): Promise<Record<string, number>> {
    const res = await get<{ accounts: Array<{ id: string; balance: number }> }>(`${this.base}/accounts`);
    return Object.fromEntries(res.body.accounts.map((a) => [a.id, a.balance]));
  }

  async reset(): Promise<void> {
    const res = await post(`${this.base}/reset`);
    if (res.status !== 200) throw new Error(`reset failed: ${res.status}`);
  }

  async settings(change: Record<string, unknown>): Promise<Record<string, unknown>> {
    const res = await post(`${this.base}/admin/settings`, change);
    if (res.status !== 200) throw new Error(`settings failed: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** Back to the seed's start: vulnerable, no delay, no barrier, opening balances. */
  async fresh(): Promise<void> {
    await this.settings({
      transfer_strategy: 'vulnerable',
      delay_enabled: false,
      delay_ms: 100,
      barrier_enabled: false,
      barrier_count: 2,
      barrier_timeout_ms: 30000,
    });
    await this.reset();
  }

  invariants() {
    return get(`${this.base}/invariants`);
  }

  async transactionCount(): Promise<number> {
    const res = await get<{ transactions: unknown[] }>(`${this.base}/transactions?limit=1000`);
    return res.body.transactions.length;
  }

  /** The sum of a metric's samples whose labels include `labels`. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = await (await fetch(`${this.base}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      const match = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})? (\S+)$/.exec(line);
      if (!match || match[1] !== name) continue;
      const found = Object.fromEntries([...(match[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
      if (Object.entries(labels).every(([k, v]) => found[k] === v)) sum += Number(match[4]);
    }
    return sum;
  }

  async metricsText(): Promise<string> {
    return (await fetch(`${this.base}/metrics`)).text();
  }
}

/** Runs `total` tasks with at most `width` in flight at once. */
export async function boundedConcurrency<T>(
  total: number,
  width: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array<T>(total);
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, total) }, worker));
  return results;
}

export const ACCOUNTS = ['alice', 'bob', 'charlie'];
export const OPENING_TOTAL = 1700;
