import type { Message } from 'kafkajs';
import { GroupCommit } from './group-commit';

/** The producer's one transaction slot: runs one function at a time, in order. */
function slot() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

const msg = (i: number): Message => ({ key: `o-${i}`, value: `{"order_id":"o-${i}"}` });
const limits = { lingerMs: 5, maxMessages: 100, maxBytes: 1 << 20 };

describe('group commit', () => {
  it('puts orders that arrive together into one transaction and answers each after its commit', async () => {
    const transactions: string[][] = [];
    const groups = new GroupCommit(slot());
    const commit = async (messages: Message[]) => void transactions.push(messages.map((m) => String(m.key)));
    const leaders = await Promise.all(Array.from({ length: 10 }, (_, i) => groups.add([msg(i)], limits, commit)));
    expect(transactions).toEqual([Array.from({ length: 10 }, (_, i) => `o-${i}`)]);
    expect(leaders.filter(Boolean)).toHaveLength(1);
  });

  it('rejects every order of a transaction that failed, and none of the next one', async () => {
    let calls = 0;
    const groups = new GroupCommit(slot());
    const commit = async () => {
      calls += 1;
      if (calls === 1) throw new Error('aborted');
    };
    const first = Array.from({ length: 5 }, (_, i) => groups.add([msg(i)], limits, commit));
    const settled = await Promise.allSettled(first);
    expect(settled.map((s) => s.status)).toEqual(Array(5).fill('rejected'));
    await expect(groups.add([msg(9)], limits, commit)).resolves.toBe(true);
  });

  it('closes a group at max_orders_per_transaction and keeps one transaction open at a time', async () => {
    const sizes: number[] = [];
    let open = 0;
    let maxOpen = 0;
    const groups = new GroupCommit(slot());
    const commit = async (messages: Message[]) => {
      open += 1;
      maxOpen = Math.max(maxOpen, open);
      await new Promise((r) => setTimeout(r, 10));
      sizes.push(messages.length);
      open -= 1;
    };
    await Promise.all(Array.from({ length: 25 }, (_, i) => groups.add([msg(i)], { ...limits, maxMessages: 10 }, commit)));
    expect(sizes).toEqual([10, 10, 5]);
    expect(maxOpen).toBe(1);
  });

  it('closes a group at the byte bound', async () => {
    const sizes: number[] = [];
    const groups = new GroupCommit(slot());
    const commit = async (messages: Message[]) => void sizes.push(messages.length);
    const bytes = Buffer.byteLength(String(msg(0).value));
    await Promise.all(Array.from({ length: 6 }, (_, i) => groups.add([msg(i)], { ...limits, maxBytes: bytes * 2 }, commit)));
    expect(sizes).toEqual([2, 2, 2]);
  });

  it('takes orders that arrive while the transaction before it runs', async () => {
    const sizes: number[] = [];
    const groups = new GroupCommit(slot());
    const commit = async (messages: Message[]) => {
      sizes.push(messages.length);
      await new Promise((r) => setTimeout(r, 30));
    };
    const first = groups.add([msg(0)], { ...limits, lingerMs: 1 }, commit);
    await new Promise((r) => setTimeout(r, 10));
    // The first transaction is running: these three wait for it, in one group, although their linger passed.
    const next = [1, 2, 3].map((i) => groups.add([msg(i)], { ...limits, lingerMs: 1 }, commit));
    await Promise.all([first, ...next]);
    expect(sizes).toEqual([1, 3]);
  });
});
