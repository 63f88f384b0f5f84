import type { Producer } from 'kafkajs';
import { TransactionalProducerPool } from './transactional-producer-pool';

/** Stand-in kafkajs producers: only connect and disconnect are called by the pool. */
function fakes(connectFails: (n: number) => boolean = () => false) {
  const built: Array<{ id: string; n: number; disconnected: boolean }> = [];
  const build = (transactionalId: string) => {
    const record = { id: transactionalId, n: built.length + 1, disconnected: false };
    built.push(record);
    const producer = {
      record,
      connect: async () => {
        if (connectFails(record.n)) throw new Error('ECONNREFUSED');
      },
      disconnect: async () => void (record.disconnected = true),
    } as unknown as Producer;
    return { producer, label: `${transactionalId}#${record.n}` };
  };
  return { built, build };
}
const idOf = (p: Producer) => (p as unknown as { record: { id: string; n: number } }).record;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('transactional producer pool', () => {
  it('runs up to n transactions at once, on distinct producers, and queues the rest in order', async () => {
    const { build } = fakes();
    const pool = new TransactionalProducerPool(['t-1', 't-2'], build);
    let open = 0;
    let maxOpen = 0;
    const used: string[] = [];
    await Promise.all(
      Array.from({ length: 6 }, () =>
        pool.run(async (p) => {
          open += 1;
          maxOpen = Math.max(maxOpen, open);
          used.push(idOf(p).id);
          await sleep(10);
          open -= 1;
        }),
      ),
    );
    expect(maxOpen).toBe(2);
    expect(used).toEqual(['t-1', 't-2', 't-1', 't-2', 't-1', 't-2']);
  });

  it('replaces only the producer whose transaction failed, under the same id; the other keeps its transaction', async () => {
    const { build, built } = fakes();
    const pool = new TransactionalProducerPool(['t-1', 't-2'], build);
    const failing = pool.run(async () => {
      await sleep(5);
      throw new Error('INVALID_PRODUCER_EPOCH');
    });
    const beside = pool.run(async (p) => {
      await sleep(20);
      return idOf(p);
    });
    await expect(failing).rejects.toThrow('INVALID_PRODUCER_EPOCH');
    expect(await beside).toMatchObject({ id: 't-2', n: 2 });
    expect(built.map((b) => [b.id, b.n, b.disconnected])).toEqual([
      ['t-1', 1, true],
      ['t-2', 2, false],
      ['t-1', 3, false],
    ]);
    expect(pool.first.label).toBe('t-1#3');
  });

  it('a producer installed in a slot (a takeover) is not replaced when the fenced one it replaced fails', async () => {
    const { build, built } = fakes();
    const pool = new TransactionalProducerPool(['t-1'], build);
    const slot = pool.first;
    const fenced = slot.producer;
    const next = pool.nextTransaction(slot);
    const inFlight = pool.run(async () => {
      await sleep(10);
      throw new Error('fenced');
    });
    await next;
    // The fenced producer's transaction fails while the successor is being started: no replacement of its own.
    await pool.takeOver(slot, async () => {
      await expect(inFlight).rejects.toThrow('fenced');
      return build('t-1');
    });
    expect(pool.first.label).toBe('t-1#2');
    // The probe on the fenced producer waits for the slot, runs on the old producer, and leaves the slot as it is.
    await expect(pool.runOn(slot, async (p) => idOf(p).n, fenced)).resolves.toBe(1);
    await expect(pool.run(async (p) => idOf(p).n)).resolves.toBe(2);
    expect(built).toHaveLength(2);
  });

  it('drained() waits for the transactions in flight', async () => {
    const pool = new TransactionalProducerPool(['t-1', 't-2'], fakes().build);
    let done = false;
    void pool.run(async () => {
      await sleep(15);
      done = true;
    });
    await pool.drained();
    expect(done).toBe(true);
  });

  it('rebuilds a producer that could not connect (the broker was away) at the next transaction of its slot', async () => {
    let brokerUp = false;
    const { build } = fakes(() => !brokerUp);
    const pool = new TransactionalProducerPool(['t-1'], build);
    await expect(pool.run(async () => 'sent')).rejects.toThrow('ECONNREFUSED');
    brokerUp = true;
    await expect(pool.run(async (p) => idOf(p).n)).resolves.toBe(3);
  });
});
