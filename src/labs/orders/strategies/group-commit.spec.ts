import type { Message, Producer } from 'kafkajs';
import { GroupCommit, TransactionSlots } from './group-commit';

/** n stand-in producers, one function at a time on each, callers queued in order (as the producer pool does). */
function slots(n = 1): TransactionSlots & { maxBusy: number } {
  const idle = Array.from({ length: n }, (_, i) => ({ id: i }) as unknown as Producer);
  const waiting: Array<(p: Producer) => void> = [];
  let busy = 0;
  const pool = {
    maxBusy: 0,
    async run<T>(fn: (producer: Producer) => Promise<T>): Promise<T> {
      const producer = idle.shift() ?? (await new Promise<Producer>((resolve) => waiting.push(resolve)));
      busy += 1;
      pool.maxBusy = Math.max(pool.maxBusy, busy);
      try {
        return await fn(producer);
      } finally {
        busy -= 1;
        const next = waiting.shift();
        if (next) next(producer);
        else idle.push(producer);
      }
    },
  };
  return pool;
}

const msg = (i: number): Message => ({ key: `o-${i}`, value: `{"order_id":"o-${i}"}` });
const limits = { lingerMs: 5, maxMessages: 100, maxBytes: 1 << 20 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Callers in flight for the adaptive linger: many, so only the linger or the size closes a group. */
const many = () => 1000;

describe('group commit', () => {
  it('puts orders that arrive together into one transaction and answers each after its commit', async () => {
    const transactions: string[][] = [];
    const groups = new GroupCommit(slots(), many);
    const commit = async (_p: Producer, messages: Message[]) =>
      void transactions.push(messages.map((m) => String(m.key)));
    const leaders = await Promise.all(Array.from({ length: 10 }, (_, i) => groups.add([msg(i)], limits, commit)));
    expect(transactions).toEqual([Array.from({ length: 10 }, (_, i) => `o-${i}`)]);
    expect(leaders.filter(Boolean)).toHaveLength(1);
  });

  it('rejects every order of a transaction that failed, and none of the next one', async () => {
    let calls = 0;
    const groups = new GroupCommit(slots(), many);
    const commit = async () => {
      calls += 1;
      if (calls === 1) throw new Error('aborted');
    };
    const first = Array.from({ length: 5 }, (_, i) => groups.add([msg(i)], limits, commit));
    const settled = await Promise.allSettled(first);
    expect(settled.map((s) => s.status)).toEqual(Array(5).fill('rejected'));
    await expect(groups.add([msg(9)], limits, commit)).resolves.toBe(true);
  });

  it('closes a group at max_orders_per_transaction and keeps one transaction open per producer', async () => {
    const sizes: number[] = [];
    const pool = slots(1);
    const groups = new GroupCommit(pool, many);
    const commit = async (_p: Producer, messages: Message[]) => {
      await sleep(10);
      sizes.push(messages.length);
    };
    await Promise.all(
      Array.from({ length: 25 }, (_, i) => groups.add([msg(i)], { ...limits, maxMessages: 10 }, commit)),
    );
    expect(sizes).toEqual([10, 10, 5]);
    expect(pool.maxBusy).toBe(1);
  });

  it('closes a group at the byte bound', async () => {
    const sizes: number[] = [];
    const groups = new GroupCommit(slots(), many);
    const commit = async (_p: Producer, messages: Message[]) => void sizes.push(messages.length);
    const bytes = Buffer.byteLength(String(msg(0).value));
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => groups.add([msg(i)], { ...limits, maxBytes: bytes * 2 }, commit)),
    );
    expect(sizes).toEqual([2, 2, 2]);
  });

  it('takes orders that arrive while every producer is busy, although their linger passed', async () => {
    const sizes: number[] = [];
    const groups = new GroupCommit(slots(1), many);
    const commit = async (_p: Producer, messages: Message[]) => {
      sizes.push(messages.length);
      await sleep(30);
    };
    const first = groups.add([msg(0)], { ...limits, lingerMs: 1 }, commit);
    await sleep(10);
    // The first transaction holds the only producer: these three wait for it, in one group.
    const next = [1, 2, 3].map((i) => groups.add([msg(i)], { ...limits, lingerMs: 1 }, commit));
    await Promise.all([first, ...next]);
    expect(sizes).toEqual([1, 3]);
  });

  it('with two producers, sends the next group while the one before it commits (two in flight)', async () => {
    const pool = slots(2);
    const groups = new GroupCommit(pool, many);
    const log: string[] = [];
    const commit = async (producer: Producer, messages: Message[]) => {
      const name = `${(producer as unknown as { id: number }).id}:${messages.length}`;
      log.push(`begin ${name}`);
      await sleep(40);
      log.push(`commit ${name}`);
    };
    const first = [0, 1].map((i) => groups.add([msg(i)], { ...limits, lingerMs: 1 }, commit));
    await sleep(10);
    const second = [2, 3, 4].map((i) => groups.add([msg(i)], { ...limits, lingerMs: 1 }, commit));
    await Promise.all([...first, ...second]);
    expect(log).toEqual(['begin 0:2', 'begin 1:3', 'commit 0:2', 'commit 1:3']);
    expect(pool.maxBusy).toBe(2);
  });

  it('fails only the orders of the aborted group when two are in flight', async () => {
    const groups = new GroupCommit(slots(2), many);
    const commit = async (_p: Producer, messages: Message[]) => {
      await sleep(20);
      if (messages.some((m) => m.key === 'o-0')) throw new Error('aborted');
    };
    const first = [0, 1, 2].map((i) => groups.add([msg(i)], { ...limits, lingerMs: 1 }, commit));
    await sleep(5);
    const second = [3, 4].map((i) => groups.add([msg(i)], { ...limits, lingerMs: 1 }, commit));
    const settled = await Promise.allSettled([...first, ...second]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected', 'fulfilled', 'fulfilled']);
  });

  it('adaptive linger: does not wait once every caller in flight has joined', async () => {
    const sizes: number[] = [];
    let inFlight = 3;
    const groups = new GroupCommit(slots(1), () => inFlight);
    const commit = async (_p: Producer, messages: Message[]) => void sizes.push(messages.length);
    const long = { ...limits, lingerMs: 10_000 };
    const started = Date.now();
    const pending = [groups.add([msg(0)], long, commit), groups.add([msg(1)], long, commit)];
    await sleep(20);
    expect(sizes).toEqual([]); // a third caller is on its way: the group waits for it
    pending.push(groups.add([msg(2)], long, commit));
    await Promise.all(pending);
    expect(sizes).toEqual([3]);
    inFlight = 1;
    await groups.add([msg(3)], long, commit);
    expect(sizes).toEqual([3, 1]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
