import { useState } from 'preact/hooks';
import { get, nudge, post } from '../lib/api';
import { LabSnapshot, read, strategyPort } from '../lib/live';
import { ActionButton, Badge, fmt, Message, NodeStrip, Panel, Stat, StrategyPicker, useActions } from '../lib/ui';

interface Version {
  version: number;
  versions_behind?: number;
  ms_behind?: number;
  data_age_ms?: number;
  epoch?: number;
}
interface Bucket {
  le_ms: string;
  reads: number;
  fresh: number;
  p_fresh: number | null;
}
interface ReadStrategy {
  strategy: string;
  available: string[];
  settings: { max_wait_ms: number; max_versions_behind: number; max_ms_behind: number };
}

/** The primary's GET /admin/replication-engine: the engine and, whatever it is, the streaming servers' state. */
interface EngineView {
  engine: string;
  streaming?: {
    available: boolean;
    reason?: string;
    standbys: Record<
      string,
      {
        up: boolean;
        error?: string;
        replay_lsn?: string | null;
        receive_lsn?: string | null;
        replay_paused?: boolean;
        cut_off?: boolean;
        wal_receiver?: string | null;
        replay_lag_ms?: number | null;
        recovery_min_apply_delay_ms?: number;
      }
    >;
  };
}

const REPLICAS = ['replica1', 'replica2'] as const;
const STREAMING = 'postgres-streaming';
const ENGINE_DESCRIPTIONS: Record<string, string> = {
  'app-log': 'The lab’s own ordered log, shipped over HTTP after each replica’s delay.',
  'postgres-streaming':
    'PostgreSQL WAL streamed to two hot standbys; the delay is each standby’s recovery_min_apply_delay.',
};

type Standby = NonNullable<EngineView['streaming']>['standbys'][string];

/** What a standby is doing, from its own status: the fault in force first. */
function standbyState(s: Standby | undefined): { state: string; tone: 'ok' | 'warn' | 'bad' } {
  if (!s || !s.up) return { state: 'unreachable', tone: 'bad' };
  if (s.cut_off) return { state: 'cut_off', tone: 'bad' };
  if (s.replay_paused) return { state: 'replay_paused', tone: 'warn' };
  if (s.wal_receiver !== 'streaming') return { state: 'not_streaming', tone: 'warn' };
  return { state: 'streaming', tone: 'ok' };
}
const DESCRIPTIONS: Record<string, string> = {
  'primary-only': 'Every read from the primary: never stale, no read scaling.',
  'any-replica': 'Any replica, whatever it has applied: stale reads and missed own writes.',
  'read-your-writes': 'A replica that has applied the session’s last write (or wait / fall back to the primary).',
  'monotonic-reads': 'Never a replica older than what the session already saw.',
  'bounded-staleness': 'A replica within N versions / T ms of the primary.',
};
const UNSAFE = new Set(['any-replica']);
const ROUNDS = 5;

export function ReplicationPage({ snapshot }: { snapshot?: LabSnapshot }) {
  const primary = read<Version>(snapshot, 'primary');
  const delays = read<{ by_replica: Record<string, number> }>(snapshot, 'delays');
  const strategy = read<ReadStrategy>(snapshot, 'read_strategy');
  const report = read<{ replicas: Record<string, { reads: number; buckets: Bucket[] }> }>(snapshot, 'staleness');
  const enginePort = strategyPort(snapshot, 'replication-engine');
  const engineView = read<EngineView>(snapshot, 'engine');
  const engine = engineView?.engine ?? enginePort?.current;
  const streaming = engine === STREAMING;
  const [draft, setDraft] = useState<Record<string, number>>({});
  const [attack, setAttack] = useState<
    { strategy: string; missed: number; rounds: number; servedBy: string[] } | undefined
  >();
  const { busy, message, run } = useActions();

  const setDelay = (replica: string, ms: number) =>
    run('delay', async () => {
      await post('/replication/primary/admin/replication-delays', { delays: { [replica]: ms } });
      nudge('replication');
      return `${replica} now applies writes ${ms} ms after the primary.`;
    });

  const selectEngine = (key: string) =>
    run('engine', async () => {
      await post('/replication/primary/admin/replication-engine', { engine: key });
      nudge('replication');
      return `Engine: ${key}${key === STREAMING ? ' (start new sessions: tokens belong to one engine)' : ''}`;
    });

  const standbyFault = (replica: string, action: 'pause-replay' | 'resume-replay' | 'cut' | 'heal') =>
    run(`${action}-${replica}`, async () => {
      const r = await post<{ status: string }>(`/replication/${replica}/admin/standby/${action}`);
      nudge('replication');
      return `${replica}: ${r.status.replace('_', ' ')}`;
    });

  const readYourWrites = () =>
    run('attack', async () => {
      let session: string | undefined;
      let missed = 0;
      const servedBy: string[] = [];
      const key = `console_${Date.now().toString(36)}`;
      for (let i = 1; i <= ROUNDS; i++) {
        const w = await post<{ session: string }>('/replication/client/writes', {
          key,
          value: i,
          ...(session ? { session } : {}),
        });
        const r = await get<{ missed_own_write: boolean; served_by: string; session: string }>(
          `/replication/client/reads?key=${key}&session=${encodeURIComponent(w.session)}`,
        );
        session = r.session;
        servedBy.push(r.served_by);
        if (r.missed_own_write) missed++;
      }
      setAttack({ strategy: strategy?.strategy ?? '?', missed, rounds: ROUNDS, servedBy });
      nudge('replication');
    });

  return (
    <div class="page">
      <div class="page-head">
        <h1>Replication — reading behind the primary</h1>
        <NodeStrip snapshot={snapshot} />
      </div>
      <div class="grid three">
        <div class="region" data-testid="primary">
          <h3>primary</h3>
          <Stat label="version" value={fmt(primary?.version)} />
        </div>
        {REPLICAS.map((r) => {
          const v = read<Version>(snapshot, r);
          const delay = draft[r] ?? delays?.by_replica[r] ?? 0;
          return (
            <div
              class={`region ${v && (v.versions_behind ?? 0) > 0 ? 'cut' : ''}`}
              key={r}
              data-testid={`replica-${r}`}
            >
              <h3>
                {r}{' '}
                {!v ? (
                  <Badge tone="bad">down</Badge>
                ) : (v.versions_behind ?? 0) > 0 ? (
                  <Badge tone="warn">{v.versions_behind} behind</Badge>
                ) : (
                  <Badge tone="ok">caught up</Badge>
                )}
              </h3>
              <div class="stats-row">
                <Stat label="version" value={fmt(v?.version)} />
                <Stat label="ms behind" value={fmt(v?.ms_behind)} />
              </div>
              <label class="slider">
                replication delay <strong>{delay} ms</strong>
                <input
                  type="range"
                  min={0}
                  max={5000}
                  step={100}
                  value={delay}
                  aria-label={`${r} replication delay in ms`}
                  onInput={(e) => setDraft({ ...draft, [r]: Number((e.currentTarget as HTMLInputElement).value) })}
                  onChange={(e) => setDelay(r, Number((e.currentTarget as HTMLInputElement).value))}
                  data-testid={`delay-${r}`}
                />
              </label>
              {streaming && (
                <StandbyFigures
                  replica={r}
                  standby={engineView?.streaming?.standbys[r]}
                  busy={busy}
                  onFault={standbyFault}
                />
              )}
            </div>
          );
        })}
      </div>
      <Panel title="Replication engine" testid="engine">
        <StrategyPicker
          name="replication-engine"
          label="Writes reach the replicas through"
          current={engine}
          disabled={busy !== undefined}
          options={(enginePort?.strategies ?? []).map((s) => ({
            key: s.key,
            description: ENGINE_DESCRIPTIONS[s.key] ?? s.description,
          }))}
          onSelect={selectEngine}
        />
        {engineView?.streaming && !engineView.streaming.available && (
          <p class="small muted" data-testid="streaming-unavailable">
            postgres-streaming is not usable now: {engineView.streaming.reason}
          </p>
        )}
      </Panel>
      <div class="grid two">
        <Panel title="Read strategy and the read-your-writes test">
          <StrategyPicker
            name="read-strategy"
            label="Session reads are routed to"
            current={strategy?.strategy}
            disabled={busy !== undefined}
            options={(strategy?.available ?? []).map((key) => ({
              key,
              description: DESCRIPTIONS[key],
              unsafe: UNSAFE.has(key),
            }))}
            onSelect={(key) =>
              run('strategy', async () => {
                await post('/replication/client/admin/read-strategy', { strategy: key });
                nudge('replication');
                return `Reads: ${key}`;
              })
            }
          />
          <div class="actions">
            <ActionButton
              primary
              label={`Write, then read it back (×${ROUNDS})`}
              name="attack"
              busy={busy}
              onClick={readYourWrites}
              testid="attack"
            />
          </div>
          <Message message={message} />
          {attack && (
            <div class="result" data-testid="attack-result">
              <p>
                {attack.strategy}:{' '}
                {attack.missed > 0 ? (
                  <Badge tone="bad" testid="missed-own-write">
                    {attack.missed} of {attack.rounds} reads missed the session’s own write (stale)
                  </Badge>
                ) : (
                  <Badge tone="ok" testid="read-own-writes">
                    all {attack.rounds} reads saw the session’s own write
                  </Badge>
                )}
              </p>
              <p class="small">served by: {attack.servedBy.join(', ')}</p>
            </div>
          )}
        </Panel>
        <Panel title="t-visibility: chance a replica read is fresh t ms after a write">
          <VisibilityCurve report={report?.replicas} />
          <div class="stats-row">
            {REPLICAS.map((r) => {
              const buckets = report?.replicas[r]?.buckets ?? [];
              const reads = buckets.reduce((a, b) => a + b.reads, 0);
              const fresh = buckets.reduce((a, b) => a + b.fresh, 0);
              return (
                <Stat
                  key={r}
                  label={`${r}: stale of ${fmt(reads)} reads`}
                  value={fmt(reads - fresh)}
                  tone={reads - fresh > 0 ? 'warn' : undefined}
                  testid={`stale-${r}`}
                />
              );
            })}
          </div>
          <ActionButton
            label="Start the report over"
            name="report"
            busy={busy}
            onClick={() =>
              run(
                'report',
                async () => void (await post('/replication/client/staleness-report/reset'), nudge('replication')),
              )
            }
          />
        </Panel>
      </div>
    </div>
  );
}

/** One standby under postgres-streaming: its state, replay lag and position, and the WAL faults. */
function StandbyFigures(props: {
  replica: string;
  standby?: Standby;
  busy?: string;
  onFault: (replica: string, action: 'pause-replay' | 'resume-replay' | 'cut' | 'heal') => void;
}) {
  const { replica: r, standby: s } = props;
  const { state, tone } = standbyState(s);
  return (
    <div class="standby" data-testid={`standby-${r}`} data-state={state}>
      <p>
        standby{' '}
        <Badge tone={tone} title={s?.error}>
          {state.replace('_', ' ')}
        </Badge>
      </p>
      <div class="stats-row">
        <Stat
          label="replay lag (pg_stat_replication)"
          value={s?.replay_lag_ms === null || s?.replay_lag_ms === undefined ? '—' : `${fmt(s.replay_lag_ms)} ms`}
          testid={`standby-lag-${r}`}
        />
        <Stat label="replay LSN" value={s?.replay_lsn ?? '—'} testid={`standby-lsn-${r}`} />
        <Stat
          label="recovery_min_apply_delay"
          value={s?.recovery_min_apply_delay_ms === undefined ? '—' : `${fmt(s.recovery_min_apply_delay_ms)} ms`}
        />
      </div>
      <div class="actions">
        {s?.replay_paused ? (
          <ActionButton
            label="Resume replay"
            name={`resume-replay-${r}`}
            busy={props.busy}
            onClick={() => props.onFault(r, 'resume-replay')}
            testid={`resume-${r}`}
          />
        ) : (
          <ActionButton
            label="Pause replay"
            name={`pause-replay-${r}`}
            busy={props.busy}
            onClick={() => props.onFault(r, 'pause-replay')}
            testid={`pause-${r}`}
          />
        )}
        {s?.cut_off ? (
          <ActionButton
            label="Heal"
            name={`heal-${r}`}
            busy={props.busy}
            onClick={() => props.onFault(r, 'heal')}
            testid={`heal-${r}`}
          />
        ) : (
          <ActionButton
            label="Cut off"
            name={`cut-${r}`}
            busy={props.busy}
            onClick={() => props.onFault(r, 'cut')}
            testid={`cut-${r}`}
          />
        )}
      </div>
    </div>
  );
}

/** Step-free line per replica: x = ms since the write (bucket bound, log scale), y = share of fresh reads. */
function VisibilityCurve({ report }: { report?: Record<string, { buckets: Bucket[] }> }) {
  const W = 460;
  const H = 200;
  const pad = { l: 40, r: 10, t: 10, b: 30 };
  const bounds = (report?.replica1?.buckets ?? []).map((b) => b.le_ms).filter((b) => b !== '+Inf');
  const x = (i: number) => pad.l + (i / Math.max(1, bounds.length - 1)) * (W - pad.l - pad.r);
  const y = (p: number) => pad.t + (1 - p) * (H - pad.t - pad.b);
  const styles: Record<string, { dash?: string; marker: string }> = {
    replica1: { marker: '●' },
    replica2: { dash: '6 4', marker: '▲' },
  };
  return (
    <figure class="curve">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Share of fresh replica reads by time since the write">
        {[0, 0.5, 1].map((p) => (
          <g key={p}>
            <line x1={pad.l} x2={W - pad.r} y1={y(p)} y2={y(p)} class="gridline" />
            <text x={pad.l - 6} y={y(p) + 4} text-anchor="end" class="axis">
              {p * 100}%
            </text>
          </g>
        ))}
        {bounds.map((b, i) => (
          <text key={b} x={x(i)} y={H - 10} text-anchor="middle" class="axis">
            {Number(b) >= 1000 ? `${Number(b) / 1000}s` : b}
          </text>
        ))}
        {Object.entries(report ?? {}).map(([replica, r]) => {
          const points = r.buckets
            .filter((b) => b.le_ms !== '+Inf')
            .map((b, i) => (b.p_fresh === null ? null : ([x(i), y(b.p_fresh)] as const)))
            .filter((p): p is readonly [number, number] => p !== null);
          const s = styles[replica] ?? { marker: '■' };
          return (
            <g key={replica} class={`series ${replica}`}>
              <polyline points={points.map((p) => p.join(',')).join(' ')} fill="none" stroke-dasharray={s.dash} />
              {points.map(([px, py], i) => (
                <text key={i} x={px} y={py + 4} text-anchor="middle" class="marker">
                  {s.marker}
                </text>
              ))}
            </g>
          );
        })}
      </svg>
      <figcaption class="small">
        ● replica1 (solid) · ▲ replica2 (dashed) · x: ms since the write · y: share of reads that already saw it
      </figcaption>
    </figure>
  );
}
