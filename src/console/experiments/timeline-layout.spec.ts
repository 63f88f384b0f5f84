import type { HistoryOp } from '../../platform/experiments/experiment.contract';
import { anomalyIndex, layoutTimeline, parseHistoryLines } from './timeline-layout';

const op = (
  index: number,
  type: HistoryOp['type'],
  process: HistoryOp['process'],
  f: string,
  time: number,
  extra: Partial<HistoryOp> = {},
): HistoryOp => ({
  index,
  type,
  process,
  f,
  value: null,
  time,
  ...extra,
});

describe('timeline layout', () => {
  const history: HistoryOp[] = [
    op(0, 'invoke', 0, 'book', 10, { node: 'booking' }),
    op(1, 'invoke', 1, 'book', 12),
    op(2, 'invoke', 'nemesis', 'start', 15, { value: { fault: 'pause-holder', target: 'booking' } }),
    op(3, 'ok', 0, 'book', 40, { value: { seat: 'A1' } }),
    op(4, 'info', 1, 'book', 55, { error: 'timeout' }),
    op(5, 'info', 'nemesis', 'start', 16, { value: { fault: 'pause-holder', target: 'booking' } }),
    op(6, 'invoke', 0, 'read', 60),
    op(7, 'invoke', 'nemesis', 'stop', 70, { value: { fault: 'pause-holder', target: 'booking' } }),
    op(8, 'info', 'nemesis', 'stop', 72, { value: { fault: 'pause-holder', target: 'booking' } }),
  ];

  it('pairs each invoke with the next completion of its process', () => {
    const model = layoutTimeline(history);
    expect(model.lanes).toEqual(['process 0', 'process 1']);
    const [a, b, c] = model.bars;
    expect([a.outcome, a.start, a.end, a.indices]).toEqual(['ok', 10, 40, [0, 3]]);
    expect([b.outcome, b.end, b.indices]).toEqual(['info', 55, [1, 4]]);
    // Still running: drawn up to the last time seen.
    expect([c.outcome, c.start, c.end]).toEqual(['pending', 60, 72]);
    expect(model.barOf.get(3)).toBe(a);
  });

  it('turns the nemesis start / stop ops into one shaded window', () => {
    const model = layoutTimeline(history);
    expect(model.nemesis).toEqual([
      { fault: 'pause-holder', target: 'booking', start: 15, end: 72, indices: [2, 5, 7, 8] },
    ]);
  });

  it('keeps windows apart when the next fault starts before the last stop completed', () => {
    const fault = { fault: 'pause-lock-holder', params: { pause_ms: 600 } };
    const n = (index: number, type: HistoryOp['type'], f: string, time: number) =>
      op(index, type, 'nemesis', f, time, { value: fault });
    const model = layoutTimeline([
      n(0, 'invoke', 'start', 10),
      n(1, 'ok', 'start', 12),
      n(2, 'invoke', 'stop', 20),
      n(3, 'invoke', 'start', 21),
      n(4, 'ok', 'stop', 22),
      n(5, 'ok', 'start', 23),
      n(6, 'invoke', 'stop', 30),
      n(7, 'ok', 'stop', 31),
    ]);
    expect(model.nemesis.map((w) => [w.start, w.end, w.indices])).toEqual([
      [10, 22, [0, 1, 2, 4]],
      [21, 31, [3, 5, 6, 7]],
    ]);
  });

  it('puts ops on node lanes when asked, keeping processes without a node apart', () => {
    expect(layoutTimeline(history, 'node').lanes).toEqual(['booking', 'process 0', 'process 1']);
  });

  it('indexes anomalies by the ops they name, and reads the JSON-lines export', () => {
    const byOp = anomalyIndex([
      { type: 'double-booking', explanation: '', ops: [3, 4] },
      { type: 'x', explanation: '', ops: [4] },
    ]);
    expect(byOp.get(4)).toEqual([0, 1]);
    expect(
      parseHistoryLines(`${JSON.stringify(history[0])}\n\n${JSON.stringify(history[3])}\n`).map((o) => o.index),
    ).toEqual([0, 3]);
  });
});
