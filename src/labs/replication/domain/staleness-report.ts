/** Upper bounds (ms since the write) of the buckets a read falls into; the last one is open. */
export const SINCE_WRITE_BUCKETS_MS = [50, 100, 250, 500, 1000, 1500, 2000, 3000, 5000, 10000] as const;

export function bucketOf(sinceWriteMs: number): string {
  const le = SINCE_WRITE_BUCKETS_MS.find((b) => sinceWriteMs <= b);
  return le === undefined ? '+Inf' : String(le);
}

export interface FreshnessBucket {
  le_ms: string;
  reads: number;
  fresh: number;
  /** Estimated probability that a read this long after a write already sees it. */
  p_fresh: number | null;
}

/**
 * The probability that a read is fresh t ms after a write, per replica, from observed reads
 * (a probabilistically-bounded-staleness view): each read counts as fresh when the replica had
 * applied the write it was measured against.
 */
export class StalenessReport {
  private readonly counts = new Map<string, Map<string, { reads: number; fresh: number }>>();

  record(replica: string, sinceWriteMs: number, fresh: boolean): void {
    const buckets = this.counts.get(replica) ?? new Map<string, { reads: number; fresh: number }>();
    this.counts.set(replica, buckets);
    const le = bucketOf(Math.max(0, sinceWriteMs));
    const cell = buckets.get(le) ?? { reads: 0, fresh: 0 };
    cell.reads++;
    if (fresh) cell.fresh++;
    buckets.set(le, cell);
  }

  reset(): void {
    this.counts.clear();
  }

  report(replicas: readonly string[]): Record<string, { reads: number; buckets: FreshnessBucket[] }> {
    return Object.fromEntries(
      replicas.map((replica) => {
        const buckets = this.counts.get(replica) ?? new Map();
        const rows = [...SINCE_WRITE_BUCKETS_MS.map(String), '+Inf'].map((le) => {
          const cell = buckets.get(le) ?? { reads: 0, fresh: 0 };
          return {
            le_ms: le,
            reads: cell.reads,
            fresh: cell.fresh,
            p_fresh: cell.reads ? round(cell.fresh / cell.reads) : null,
          };
        });
        return [replica, { reads: rows.reduce((n, r) => n + r.reads, 0), buckets: rows }];
      }),
    );
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
