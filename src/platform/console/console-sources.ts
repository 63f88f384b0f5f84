import { LabName } from '../config/lab-plan';

/**
 * What the console shows of each lab, read through the lab's own HTTP endpoints on its node ports
 * (the same answers a curl gets), never through the lab's code: the platform does not import labs.
 */
export interface ConsoleSource {
  /** Key of the read in the pushed state (`seats`, `accounts`, ...). */
  key: string;
  node: string;
  path: string;
}

/** The reads of one node, `{ key: path }` in the order the page lists them. */
function reads(node: string, paths: Record<string, string>): ConsoleSource[] {
  return Object.entries(paths).map(([key, path]) => ({ key, node, path }));
}

/** The same path on each of several nodes (regions, replicas), each keyed by its node. */
function onEach(nodes: string[], path: string): ConsoleSource[] {
  return nodes.map((node) => ({ key: node, node, path }));
}

export const CONSOLE_SOURCES: Record<LabName, ConsoleSource[]> = {
  booking: reads('booking', {
    seats: '/events/1/seats',
    double_bookings: '/admin/double-bookings',
    stats: '/admin/stats',
    settings: '/admin/settings',
  }),
  bank: reads('bank', {
    accounts: '/accounts',
    invariants: '/invariants',
    settings: '/admin/settings',
    transactions: '/transactions',
  }),
  orders: [
    ...reads('producer', { producer: '/config', produced: '/stats' }),
    ...reads('consumer', { consumer: '/config' }),
    ...reads('api', { stats: '/stats', duplicates: '/stats/duplicates', lag: '/kafka/lag' }),
  ],
  counter: [
    ...onEach(['us-east', 'us-west', 'eu-west', 'strong'], '/counters'),
    ...reads('gateway', { gateway: '/api/counters', convergence: '/api/convergence', sync: '/admin/sync-settings' }),
  ],
  replication: [
    ...onEach(['primary', 'replica1', 'replica2'], '/version'),
    ...reads('primary', { delays: '/admin/replication-delays', engine: '/admin/replication-engine' }),
    ...reads('client', { read_strategy: '/admin/read-strategy', staleness: '/staleness-report' }),
  ],
};
