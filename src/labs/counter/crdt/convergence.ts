import { GCounter } from './g-counter';

export interface ConvergenceVerdict {
  /** Acknowledged increments missing from some replica (summed over replicas and nodes). */
  lost: number;
  /** Increments a replica counts beyond what was acknowledged. */
  double_counted: number;
  /** Replicas whose total is exactly the acknowledged sum. */
  exact: string[];
  ok: boolean;
  /** Each replica's total against the expected one. */
  replicas: Record<string, { total: number; expected: number }>;
}

/**
 * The convergence checker: `acknowledged` holds, per node, the sum of the increments that node
 * acknowledged to its clients; after a heal and a sync every replica must hold exactly that map.
 * A smaller entry is a lost increment, a larger one a double count.
 */
export function checkConvergence(acknowledged: GCounter, replicas: Record<string, GCounter>): ConvergenceVerdict {
  let lost = 0;
  let doubled = 0;
  const exact: string[] = [];
  const totals: ConvergenceVerdict['replicas'] = {};
  const expected = Object.values(acknowledged).reduce((s, n) => s + n, 0);
  for (const [replica, map] of Object.entries(replicas)) {
    const nodes = new Set([...Object.keys(acknowledged), ...Object.keys(map)]);
    let replicaLost = 0;
    let replicaDoubled = 0;
    for (const node of nodes) {
      const diff = (map[node] ?? 0) - (acknowledged[node] ?? 0);
      if (diff < 0) replicaLost -= diff;
      else replicaDoubled += diff;
    }
    lost += replicaLost;
    doubled += replicaDoubled;
    const total = Object.values(map).reduce((s, n) => s + n, 0);
    totals[replica] = { total, expected };
    if (replicaLost === 0 && replicaDoubled === 0) exact.push(replica);
  }
  return { lost, double_counted: doubled, exact, ok: lost === 0 && doubled === 0, replicas: totals };
}
