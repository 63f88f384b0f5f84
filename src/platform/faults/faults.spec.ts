import { Barrier } from './barrier';
import { CrashHook, CrashSignal } from './crash-hook';
import { delay } from './delay';

describe('Barrier', () => {
  it('releases arrivals together once count are waiting', async () => {
    const barrier = new Barrier(3, 1000);
    const outcomes = Promise.all([barrier.arrive(), barrier.arrive(), barrier.arrive()]);
    expect((await outcomes).map((o) => o.status)).toEqual(['released', 'released', 'released']);
    expect(barrier.waiting).toBe(0);
  });

  it('times a lone waiter out without leaving a stale count for the next generation', async () => {
    const barrier = new Barrier(2, 30);
    const lone = await barrier.arrive();
    expect(lone).toMatchObject({ status: 'timed_out', arrived: 1, needed: 2 });
    expect(barrier.waiting).toBe(0);
    // One new arrival must not be released by the timed-out one.
    const first = barrier.arrive();
    const raced = await Promise.race([first, delay(10).then(() => 'still waiting')]);
    expect(raced).toBe('still waiting');
    const second = barrier.arrive();
    expect((await Promise.all([first, second])).map((o) => o.status)).toEqual(['released', 'released']);
  });

  it('cancels waiters on reconfigure and rejects bad settings', async () => {
    const barrier = new Barrier(2, 1000);
    const waiting = barrier.arrive();
    barrier.reconfigure(3, 500);
    expect(await waiting).toMatchObject({ status: 'cancelled' });
    expect(() => barrier.reconfigure(0, 500)).toThrow(RangeError);
    expect(() => new Barrier(2, 0)).toThrow(RangeError);
  });
});

describe('CrashHook', () => {
  it('throws at the armed point after the given hits, once', () => {
    const crashes: string[] = [];
    const hook = new CrashHook<'after-write' | 'after-commit'>((p) => crashes.push(p));
    hook.arm('after-write', 2);
    expect(() => hook.reached('after-commit')).not.toThrow();
    expect(() => hook.reached('after-write')).not.toThrow();
    expect(() => hook.reached('after-write')).toThrow(CrashSignal);
    expect(() => hook.reached('after-write')).not.toThrow();
    expect(crashes).toEqual(['after-write']);
  });
});

describe('delay', () => {
  it('can be aborted', async () => {
    const controller = new AbortController();
    const pending = delay(10000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });
});
