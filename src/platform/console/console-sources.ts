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

export const CONSOLE_SOURCES: Record<LabName, ConsoleSource[]> = {
  booking: [
    { key: 'seats', node: 'booking', path: '/events/1/seats' },
    { key: 'double_bookings', node: 'booking', path: '/admin/double-bookings' },
    { key: 'stats', node: 'booking', path: '/admin/stats' },
    { key: 'settings', node: 'booking', path: '/admin/settings' },
  ],
  bank: [
    { key: 'accounts', node: 'bank', path: '/accounts' },
    { key: 'invariants', node: 'bank', path: '/invariants' },
    { key: 'settings', node: 'bank', path: '/admin/settings' },
    { key: 'transactions', node: 'bank', path: '/transactions' },
  ],
  orders: [
    { key: 'producer', node: 'producer', path: '/config' },
    { key: 'produced', node: 'producer', path: '/stats' },
    { key: 'consumer', node: 'consumer', path: '/config' },
    { key: 'stats', node: 'api', path: '/stats' },
    { key: 'duplicates', node: 'api', path: '/stats/duplicates' },
    { key: 'lag', node: 'api', path: '/kafka/lag' },
  ],
  counter: [
    { key: 'us-east', node: 'us-east', path: '/counters' },
    { key: 'us-west', node: 'us-west', path: '/counters' },
    { key: 'eu-west', node: 'eu-west', path: '/counters' },
    { key: 'strong', node: 'strong', path: '/counters' },
    { key: 'gateway', node: 'gateway', path: '/api/counters' },
    { key: 'convergence', node: 'gateway', path: '/api/convergence' },
    { key: 'sync', node: 'gateway', path: '/admin/sync-settings' },
  ],
  replication: [
    { key: 'primary', node: 'primary', path: '/version' },
    { key: 'replica1', node: 'replica1', path: '/version' },
    { key: 'replica2', node: 'replica2', path: '/version' },
    { key: 'delays', node: 'primary', path: '/admin/replication-delays' },
    { key: 'read_strategy', node: 'client', path: '/admin/read-strategy' },
    { key: 'staleness', node: 'client', path: '/staleness-report' },
  ],
};
