import { AppConfig } from '../../../platform/config/app-config';
import { NodeClientService } from '../../../platform/http/node-client.service';
import { LogEntry } from '../domain/replication-log';
import { ReplicationMetrics } from '../replication.metrics';
import { ReplicationShipperService } from './replication-shipper.service';

const entry = (lsn: number, value: unknown = lsn): LogEntry => ({
  lsn,
  key: `k${lsn}`,
  value,
  write_id: `w${lsn}`,
  write_timestamp: lsn,
});

function setup(fail: () => boolean = () => false) {
  const sent: Array<{ at: number; replica: string; lsns: number[] }> = [];
  const nodes = {
    call: async (_from: unknown, to: { node: string }, _path: string, options: { body: { entries: LogEntry[] } }) => {
      if (fail()) throw new Error('unreachable');
      sent.push({ at: Date.now(), replica: to.node, lsns: options.body.entries.map((e) => e.lsn) });
      return { status: 200, ok: true, body: {} };
    },
  } as unknown as NodeClientService;
  const noop = { inc: () => undefined, observe: () => undefined };
  const metrics = {
    replicationDelay: noop,
    replicationSuccess: noop,
    replicationFailure: noop,
  } as unknown as ReplicationMetrics;
  const config = {
    nodeUrl: (_lab: string, node: string) => `http://127.0.0.1/${node}`,
    bodyLimitBytes: 4096,
  } as unknown as AppConfig;
  return { shipper: new ReplicationShipperService(nodes, metrics, config), sent };
}

describe('ReplicationShipperService', () => {
  beforeEach(() => {
    jest.useFakeTimers();
    jest.setSystemTime(1_000_000);
  });
  afterEach(() => jest.useRealTimers());

  it('ships each entry at write time + that replica’s delay, not earlier', async () => {
    const { shipper, sent } = setup();
    shipper.enqueue(1, entry(1), Date.now(), { replica1: 500, replica2: 1500 });
    await jest.advanceTimersByTimeAsync(499);
    expect(sent).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(sent).toEqual([{ at: 1_000_500, replica: 'replica1', lsns: [1] }]);
    await jest.advanceTimersByTimeAsync(1000);
    expect(sent[1]).toEqual({ at: 1_001_500, replica: 'replica2', lsns: [1] });
  });

  it('never lets a newer entry overtake an older one when the delay is lowered', async () => {
    const { shipper, sent } = setup();
    shipper.enqueue(1, entry(1), Date.now(), { replica1: 3000, replica2: 3000 });
    shipper.enqueue(1, entry(2), Date.now(), { replica1: 10, replica2: 10 });
    await jest.advanceTimersByTimeAsync(3000);
    expect(sent.filter((s) => s.replica === 'replica1')).toEqual([
      { at: 1_003_000, replica: 'replica1', lsns: [1, 2] },
    ]);
  });

  it('retries a failed shipment, and a reset drops what is queued', async () => {
    let failing = true;
    const { shipper, sent } = setup(() => failing);
    shipper.enqueue(1, entry(1), Date.now(), { replica1: 0, replica2: 0 });
    await jest.advanceTimersByTimeAsync(10);
    expect(sent).toEqual([]);
    failing = false;
    await jest.advanceTimersByTimeAsync(500);
    expect(sent.map((s) => s.lsns)).toEqual([[1], [1]]);
    shipper.enqueue(1, entry(2), Date.now(), { replica1: 100, replica2: 100 });
    shipper.clear(2);
    await jest.advanceTimersByTimeAsync(1000);
    expect(sent).toHaveLength(2);
    expect(shipper.queued()).toEqual({ replica1: 0, replica2: 0 });
  });

  it('splits a backlog of large values into batches under the body limit, sent back to back', async () => {
    const { shipper, sent } = setup();
    for (let lsn = 1; lsn <= 5; lsn++)
      shipper.enqueue(1, entry(lsn, 'x'.repeat(1500)), Date.now(), { replica1: 100, replica2: 100 });
    await jest.advanceTimersByTimeAsync(100);
    // The fake clock puts a 0 ms timer set during a tick 1 ms later.
    for (let i = 0; i < 5; i++) await jest.advanceTimersByTimeAsync(1);
    const toReplica1 = sent.filter((s) => s.replica === 'replica1');
    expect(toReplica1.map((s) => s.lsns)).toEqual([[1, 2], [3, 4], [5]]);
    expect(toReplica1.every((s) => s.at <= 1_000_102)).toBe(true);
  });
});
