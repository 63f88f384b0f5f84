import { CrashHook, CrashSignal } from '../../../platform/faults';
import { CrashPoint } from '../orders.config';
import { AtLeastOnceProcessingStrategy } from './at-least-once.processing.strategy';
import { AtMostOnceProcessingStrategy } from './at-most-once.processing.strategy';
import { ExactlyOnceProcessingStrategy } from './exactly-once.processing.strategy';
import { ProcessingPort } from './processing.port';

/** Runs one message through a strategy with a crash armed at `point`; records which steps ran. */
async function run(strategy: ProcessingPort, point?: CrashPoint) {
  const steps: string[] = [];
  const hook = new CrashHook<CrashPoint>(() => undefined);
  if (point) hook.arm(point);
  let crashed = false;
  try {
    await strategy.process({
      writeToDatabase: async () => void steps.push('write'),
      commitOffset: async () => void steps.push('commit'),
      reached: (p) => hook.reached(p),
    });
  } catch (err) {
    if (!(err instanceof CrashSignal)) throw err;
    crashed = true;
  }
  return { steps, crashed };
}

describe('processing strategies: the order of the database write and the offset commit', () => {
  it.each([
    [new ExactlyOnceProcessingStrategy(), true],
    [new AtLeastOnceProcessingStrategy(), false],
  ])('%p writes before committing (read_committed %p)', async (strategy, readCommitted) => {
    expect(!strategy.consumerConfig.readUncommitted).toBe(readCommitted);
    expect((await run(strategy)).steps).toEqual(['write', 'commit']);
    // between write and commit: the write stays, the offset does not move -> redelivery
    expect(await run(strategy, 'after-db-write')).toEqual({ steps: ['write'], crashed: true });
    expect(await run(strategy, 'before-db-write')).toEqual({ steps: [], crashed: true });
  });

  it('at-most-once commits first, so a crash before the write loses the message', async () => {
    const strategy = new AtMostOnceProcessingStrategy();
    expect(strategy.consumerConfig.readUncommitted).toBe(true);
    expect((await run(strategy)).steps).toEqual(['commit', 'write']);
    expect(await run(strategy, 'before-db-write')).toEqual({ steps: ['commit'], crashed: true });
  });
});
