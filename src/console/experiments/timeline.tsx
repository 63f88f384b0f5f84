import type { Anomaly } from '../../platform/experiments/experiment.contract';
import { Bar, TimelineModel } from './timeline-layout';

const LANE_H = 26;
const BAR_H = 16;
const LABEL_W = 110;
const TOP = 28;
const GLYPH: Record<Bar['outcome'], string> = { ok: '✓', fail: '✕', info: '?', pending: '…' };
const OUTCOME_WORD: Record<Bar['outcome'], string> = {
  ok: 'ok',
  fail: 'failed',
  info: 'unknown (info)',
  pending: 'pending',
};

export function describeBar(bar: Bar): string {
  const ms = ((bar.end - bar.start) / 1e6).toFixed(1);
  return `op ${bar.invoke.index}${bar.completion ? `→${bar.completion.index}` : ''}: process ${String(bar.process)} ${bar.f} ${JSON.stringify(bar.invoke.value)} → ${OUTCOME_WORD[bar.outcome]}${
    bar.completion && bar.outcome !== 'pending' ? ` ${JSON.stringify(bar.completion.value)}` : ''
  }${bar.node ? ` on ${bar.node}` : ''}${bar.completion?.error ? ` (${bar.completion.error})` : ''}, ${ms} ms`;
}

/**
 * A Jepsen-style timeline: one lane per process (or node), each operation a bar from its invoke to
 * its completion. Outcome is shown by fill pattern, border style and a glyph, not by colour alone;
 * the nemesis' faults are shaded windows across every lane; anomalous ops get a thick outline and ⚠.
 */
export function Timeline(props: {
  model: TimelineModel;
  anomalous: Map<number, number[]>;
  selected: Set<number>;
  onSelect: (bar: Bar) => void;
  width: number;
  anomalies: Anomaly[];
}) {
  const { model } = props;
  const span = Math.max(model.end, 1);
  const plotW = Math.max(200, props.width - LABEL_W - 36);
  const x = (t: number) => LABEL_W + (t / span) * plotW;
  const laneY = new Map(model.lanes.map((l, i) => [l, TOP + i * LANE_H]));
  const height = TOP + model.lanes.length * LANE_H + 8;
  const ticks = Array.from({ length: 6 }, (_, i) => (span * i) / 5);
  return (
    <svg
      class="timeline"
      width={props.width}
      height={height}
      role="group"
      aria-label={`Timeline of ${model.bars.length} operations in ${model.lanes.length} lanes`}
    >
      <defs>
        <pattern id="pattern-fail" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
          <rect width="6" height="6" class="pattern-fail-bg" />
          <line x1="0" y1="0" x2="0" y2="6" class="pattern-fail-line" />
        </pattern>
        <pattern id="pattern-info" width="5" height="5" patternUnits="userSpaceOnUse">
          <rect width="5" height="5" class="pattern-info-bg" />
          <circle cx="2.5" cy="2.5" r="1" class="pattern-info-dot" />
        </pattern>
      </defs>
      {ticks.map((t) => (
        <g key={t}>
          <line x1={x(t)} x2={x(t)} y1={TOP - 6} y2={height} class="axis-line" />
          <text x={x(t)} y={12} text-anchor="middle" class="axis">
            {(t / 1e6).toFixed(0)} ms
          </text>
        </g>
      ))}
      {model.lanes.map((lane, i) => (
        <g key={lane}>
          {i % 2 === 0 && <rect x={LABEL_W} y={laneY.get(lane)!} width={plotW} height={LANE_H} class="lane-bg" />}
          <text x={4} y={laneY.get(lane)! + LANE_H / 2 + 4} class="lane-label">
            {lane}
          </text>
        </g>
      ))}
      {model.nemesis.map((w, i) => (
        <g key={i} data-testid="nemesis-window">
          <rect
            x={x(w.start)}
            y={TOP - 4}
            width={Math.max(2, x(w.end ?? model.end) - x(w.start))}
            height={height - TOP}
            class="nemesis-window"
          >
            <title>{`${w.fault}${w.target ? ` on ${w.target}` : ''}: ${(w.start / 1e6).toFixed(0)}–${w.end ? (w.end / 1e6).toFixed(0) : 'now'} ms`}</title>
          </rect>
          {/* The name where it fits; a narrow window shows just the mark (its name is in the tooltip). */}
          <text x={x(w.start) + 3} y={TOP + 6} class="nemesis-label">
            {x(w.end ?? model.end) - x(w.start) > 7 * (w.fault.length + 3)
              ? `⚡ ${w.fault}${w.target ? ` ${w.target}` : ''}`
              : '⚡'}
          </text>
        </g>
      ))}
      {model.bars.map((bar) => {
        const y = laneY.get(bar.lane)! + (LANE_H - BAR_H) / 2;
        const x0 = x(bar.start);
        const w = Math.max(4, x(bar.end) - x0);
        const anomalous = bar.indices.some((i) => props.anomalous.has(i));
        const selected = bar.indices.some((i) => props.selected.has(i));
        const label = `${anomalous ? '⚠' : GLYPH[bar.outcome]}${w > 46 ? ` ${bar.f}` : ''}`;
        return (
          <g
            key={bar.invoke.index}
            class="op-group"
            tabIndex={0}
            role="button"
            aria-pressed={selected}
            aria-label={`${describeBar(bar)}${anomalous ? ', part of an anomaly' : ''}`}
            data-op={bar.invoke.index}
            data-outcome={bar.outcome}
            data-anomalous={String(anomalous)}
            data-selected={String(selected)}
            onClick={() => props.onSelect(bar)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' || e.key === ' ') {
                e.preventDefault();
                props.onSelect(bar);
              }
            }}
          >
            <rect
              x={x0}
              y={y}
              width={w}
              height={BAR_H}
              rx={2}
              class={`op ${bar.outcome}${anomalous ? ' anomalous' : ''}${selected ? ' selected' : ''}`}
            >
              <title>{describeBar(bar)}</title>
            </rect>
            {w >= 10 && (
              <text x={x0 + 3} y={y + BAR_H - 4} class="op-glyph">
                {label}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

export function TimelineLegend() {
  const sample = (cls: string, glyph: string) => (
    <svg width="34" height="16" aria-hidden="true" class="timeline">
      <rect x="1" y="1" width="32" height="14" rx="2" class={`op ${cls}`} />
      <text x="4" y="12" class="op-glyph">
        {glyph}
      </text>
    </svg>
  );
  return (
    <div class="legend-tl">
      <span>{sample('ok', '✓')} ok (solid)</span>
      <span>{sample('fail', '✕')} failed (hatched)</span>
      <span>{sample('info', '?')} unknown (dotted, dashed border)</span>
      <span>{sample('pending', '…')} pending</span>
      <span>{sample('ok anomalous', '⚠')} part of an anomaly (thick outline)</span>
      <span>
        <svg width="34" height="16" aria-hidden="true" class="timeline">
          <rect x="1" y="1" width="32" height="14" class="nemesis-window" />
        </svg>{' '}
        ⚡ fault window
      </span>
    </div>
  );
}
