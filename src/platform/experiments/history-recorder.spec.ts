import type { HistoryOp } from './experiment.contract';
import { HistoryRecorder } from './history-recorder';

class SlowSink {
  readonly batches: HistoryOp[][] = [];
  private release: (() => void) | undefined;
  failures = 0;

  appendOps(_id: string, ops: readonly HistoryOp[]): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      return Promise.reject(new Error('connection reset'));
    }
    this.batches.push([...ops]);
    return new Promise((resolve) => (this.release = resolve));
  }

  flush(): void {
    this.release?.();
    this.release = undefined;
  }
}

// Longer than the recorder's 5 ms linger.
const tick = () => new Promise((resolve) => setTimeout(resolve, 15));

describe('HistoryRecorder', () => {
  it('assigns dense indices and monotonic times', () => {
    const recorder = new HistoryRecorder('x', undefined);
    const a = recorder.record({ type: 'invoke', process: 0, f: 'read', value: null });
    const b = recorder.record({ type: 'ok', process: 0, f: 'read', value: 1 });
    expect([a.index, b.index]).toEqual([0, 1]);
    expect(b.time).toBeGreaterThanOrEqual(a.time);
  });

  it('group-commits: one write in flight, everything recorded meanwhile leaves in the next one', async () => {
    const sink = new SlowSink();
    const recorder = new HistoryRecorder('x', sink);
    recorder.record({ type: 'invoke', process: 0, f: 'a', value: null });
    await tick();
    for (let i = 0; i < 5; i++) recorder.record({ type: 'invoke', process: i + 1, f: 'a', value: null });
    expect(sink.batches.map((b) => b.length)).toEqual([1]);
    sink.flush();
    await tick();
    expect(sink.batches.map((b) => b.length)).toEqual([1, 5]);
    sink.flush();
    await recorder.drain();
    expect(sink.batches.flat().map((op) => op.index)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('retries a failed write, then reports the failure once retries are spent', async () => {
    const sink = new SlowSink();
    sink.failures = 1;
    const recorder = new HistoryRecorder('x', sink);
    recorder.record({ type: 'invoke', process: 0, f: 'a', value: null });
    await new Promise((resolve) => setTimeout(resolve, 80));
    sink.flush();
    await recorder.drain();
    expect(sink.batches).toHaveLength(1);

    const broken = { appendOps: () => Promise.reject(new Error('down')) };
    const failures: Error[] = [];
    const doomed = new HistoryRecorder('y', broken, (err) => failures.push(err));
    doomed.record({ type: 'invoke', process: 0, f: 'a', value: null });
    await expect(doomed.drain()).rejects.toThrow('recording the history failed: down');
    expect(failures).toHaveLength(1);
  });
});
