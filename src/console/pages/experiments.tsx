import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type {
  ExperimentCatalogEntry,
  ExperimentDocument,
  HistoryOp,
} from '../../platform/experiments/experiment.contract';
import { ApiError, call, get, post } from '../lib/api';
import { ActionButton, Badge, fmt, Link, Message, navigate, Panel, Tone, useActions } from '../lib/ui';
import { describeBar, Timeline, TimelineLegend } from '../experiments/timeline';
import { anomalyIndex, Bar, LaneMode, layoutTimeline, parseHistoryLines } from '../experiments/timeline-layout';

type CatalogLab = Omit<ExperimentCatalogEntry, 'nemeses'> & {
  nemeses: Array<{ name: string; description: string }>;
  strategies?: string[];
  defaultStrategy?: string;
  defaults?: { concurrency?: number; ops?: number; duration_ms?: number };
};
const RUN_FIELDS = ['concurrency', 'ops', 'duration_ms'] as const;

const STATUS_TONE: Record<string, Tone> = {
  running: 'info',
  valid: 'ok',
  invalid: 'bad',
  unknown: 'warn',
  aborted: 'warn',
};

export function ExperimentsPage({ id }: { id?: string }) {
  return (
    <div class="page">
      <div class="page-head">
        <h1>Experiments</h1>
        {id && <Link href="/console/experiments">← all runs</Link>}
      </div>
      {id ? <RunView key={id} id={id} /> : <StartAndList />}
    </div>
  );
}

function StartAndList() {
  const [catalog, setCatalog] = useState<CatalogLab[] | undefined>();
  const [runs, setRuns] = useState<ExperimentDocument[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [lab, setLab] = useState<string>('');
  const [form, setForm] = useState<Record<string, string>>({});
  const { busy, message, run } = useActions();

  useEffect(() => {
    get<{ labs: CatalogLab[] }>('/admin/experiments/catalog')
      .then((c) => {
        setCatalog(c.labs);
        setLab((l) => l || c.labs[0]?.lab || '');
      })
      .catch((err: unknown) => setError(err instanceof ApiError ? err.message : String(err)));
    get<{ experiments: ExperimentDocument[] }>('/admin/experiments')
      .then((r) => setRuns(r.experiments))
      .catch(() => undefined);
  }, []);

  const entry = catalog?.find((c) => c.lab === lab);
  const strategies = entry?.strategies ?? [...new Set((entry?.expectations ?? []).map((e) => e.strategy))];
  const defaultStrategy = entry?.defaultStrategy ?? strategies[0];
  const value = (k: string, fallback: unknown) =>
    form[`${lab}.${k}`] ?? (fallback === undefined ? '' : String(fallback));
  const set = (k: string, v: string) => setForm({ ...form, [`${lab}.${k}`]: v });
  const expected = entry?.expectations.find(
    (e) => e.strategy === value('strategy', defaultStrategy) && e.nemesis === value('nemesis', entry.defaultNemesis),
  );

  const start = () =>
    run('start', async () => {
      if (!entry) return;
      const body: Record<string, unknown> = {
        lab,
        strategy: value('strategy', defaultStrategy) || undefined,
        workload: value('workload', entry.defaultWorkload),
        nemesis: value('nemesis', entry.defaultNemesis),
      };
      const seed = value('seed', '');
      if (seed !== '') body.seed = Number(seed);
      for (const f of RUN_FIELDS) {
        const raw = value(f, '');
        if (raw !== '') body[f] = Number(raw);
      }
      for (const p of entry.params) {
        const raw = form[`${lab}.param.${p.name}`];
        if (raw === undefined || raw === '') continue;
        body[p.name] = p.type === 'boolean' ? raw === 'true' : p.type === 'string' ? raw : Number(raw);
      }
      const created = await post<{ id: string }>('/admin/experiments', body);
      navigate(`/console/experiments/${created.id}`);
    });

  return (
    <div class="grid two">
      <Panel title="Start a run">
        {error && <Badge tone="bad">experiments API: {error}</Badge>}
        {!catalog && !error && <p class="muted">loading the catalog…</p>}
        {catalog && (
          <>
            <div class="form-grid">
              <label>
                lab
                <select
                  value={lab}
                  onChange={(e) => setLab((e.currentTarget as HTMLSelectElement).value)}
                  data-testid="exp-lab"
                >
                  {catalog.map((c) => (
                    <option key={c.lab}>{c.lab}</option>
                  ))}
                </select>
              </label>
              <label>
                strategy
                <select
                  value={value('strategy', defaultStrategy)}
                  onChange={(e) => set('strategy', (e.currentTarget as HTMLSelectElement).value)}
                  data-testid="exp-strategy"
                >
                  {strategies.map((s) => (
                    <option key={s}>{s}</option>
                  ))}
                </select>
              </label>
              <label>
                workload
                <select
                  value={value('workload', entry?.defaultWorkload)}
                  onChange={(e) => set('workload', (e.currentTarget as HTMLSelectElement).value)}
                >
                  {(entry?.workloads ?? []).map((w) => (
                    <option key={w.name} value={w.name} title={w.description}>
                      {w.name}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                nemesis
                <select
                  value={value('nemesis', entry?.defaultNemesis)}
                  onChange={(e) => set('nemesis', (e.currentTarget as HTMLSelectElement).value)}
                  data-testid="exp-nemesis"
                >
                  {(entry?.nemeses ?? []).map((n) => (
                    <option key={n.name} value={n.name} title={n.description}>
                      {n.name}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                seed (empty: random)
                <input
                  type="number"
                  value={value('seed', '')}
                  onInput={(e) => set('seed', (e.currentTarget as HTMLInputElement).value)}
                  data-testid="exp-seed"
                />
              </label>
              {RUN_FIELDS.map((f) => (
                <label key={f}>
                  {f}
                  <input
                    type="number"
                    min={1}
                    placeholder={String(entry?.defaults?.[f] ?? '')}
                    value={value(f, '')}
                    onInput={(e) => set(f, (e.currentTarget as HTMLInputElement).value)}
                    data-testid={`exp-${f}`}
                  />
                </label>
              ))}
              {(entry?.params ?? []).map((p) => (
                <label key={p.name} title={p.description}>
                  {p.name}
                  {p.type === 'boolean' ? (
                    <select
                      value={form[`${lab}.param.${p.name}`] ?? String(p.default)}
                      onChange={(e) => set(`param.${p.name}`, (e.currentTarget as HTMLSelectElement).value)}
                    >
                      <option>true</option>
                      <option>false</option>
                    </select>
                  ) : p.type === 'string' ? (
                    <input
                      type="text"
                      placeholder={String(p.default)}
                      value={form[`${lab}.param.${p.name}`] ?? ''}
                      onInput={(e) => set(`param.${p.name}`, (e.currentTarget as HTMLInputElement).value)}
                    />
                  ) : (
                    <input
                      type="number"
                      min={p.min}
                      max={p.max}
                      placeholder={String(p.default)}
                      value={form[`${lab}.param.${p.name}`] ?? ''}
                      onInput={(e) => set(`param.${p.name}`, (e.currentTarget as HTMLInputElement).value)}
                    />
                  )}
                </label>
              ))}
            </div>
            <p class="small muted">
              {entry?.description}
              {expected && (
                <>
                  {' '}
                  Expected verdict for this choice: <strong>{expected.expected}</strong>.
                </>
              )}
            </p>
            <div class="actions">
              <ActionButton primary label="Start run" name="start" busy={busy} onClick={start} testid="exp-start" />
            </div>
            <Message message={message} />
          </>
        )}
      </Panel>
      <Panel title="Recent runs">
        {runs.length === 0 ? (
          <p class="muted">No runs yet.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">run</th>
                <th scope="col">lab / strategy</th>
                <th scope="col">nemesis</th>
                <th scope="col">verdict</th>
              </tr>
            </thead>
            <tbody>
              {runs.slice(0, 20).map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link href={`/console/experiments/${r.id}`}>{r.id.slice(0, 8)}</Link>
                  </td>
                  <td>
                    {r.lab} / {r.strategy}
                  </td>
                  <td>{typeof r.nemesis === 'string' ? r.nemesis : 'custom'}</td>
                  <td>
                    <Badge tone={STATUS_TONE[r.status] ?? 'muted'}>{r.status}</Badge>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
    </div>
  );
}

function RunView({ id }: { id: string }) {
  const [doc, setDoc] = useState<ExperimentDocument | undefined>();
  const [ops, setOps] = useState<Map<number, HistoryOp>>(new Map());
  const [error, setError] = useState<string | undefined>();
  const [live, setLive] = useState(false);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [selectedBar, setSelectedBar] = useState<Bar | undefined>();
  const [activeAnomaly, setActiveAnomaly] = useState<number | undefined>();
  const [mode, setMode] = useState<LaneMode>('process');
  const [zoom, setZoom] = useState(1);
  const wrap = useRef<HTMLDivElement>(null);
  const [wrapWidth, setWrapWidth] = useState(900);
  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setWrapWidth(el.clientWidth));
    observer.observe(el);
    setWrapWidth(el.clientWidth);
    return () => observer.disconnect();
  }, [doc !== undefined]);

  useEffect(() => {
    let closed = false;
    let source: EventSource | undefined;
    const merge = (list: HistoryOp[]) =>
      setOps((m) => {
        const next = new Map(m);
        for (const op of list) next.set(op.index, op);
        return next;
      });
    const loadHistory = async () => {
      const answer = await call<string>('GET', `/admin/experiments/${id}/history`);
      if (answer.ok && typeof answer.body === 'string') merge(parseHistoryLines(answer.body));
      else if (answer.ok && answer.body && typeof answer.body === 'object')
        merge([answer.body as unknown as HistoryOp]);
    };
    void (async () => {
      try {
        const first = await get<ExperimentDocument>(`/admin/experiments/${id}`);
        if (closed) return;
        setDoc(first);
        if (first.status === 'running') {
          // Open the stream first and merge by index, so no op falls between the history and the stream.
          source = new EventSource(`/admin/experiments/${id}/events`);
          setLive(true);
          source.addEventListener('op', (e) => merge([JSON.parse((e as MessageEvent<string>).data) as HistoryOp]));
          source.addEventListener('progress', (e) => {
            const p = JSON.parse((e as MessageEvent<string>).data) as Partial<ExperimentDocument>;
            setDoc((d) => (d ? { ...d, ...p, progress: typeof p.progress === 'number' ? p.progress : d.progress } : d));
          });
          source.addEventListener('done', (e) => {
            setDoc(JSON.parse((e as MessageEvent<string>).data) as ExperimentDocument);
            source?.close();
            setLive(false);
            void loadHistory().catch(() => undefined);
          });
          source.onerror = () => {
            if (source?.readyState === EventSource.CLOSED) setLive(false);
          };
        }
        await loadHistory();
      } catch (err) {
        setError(err instanceof Error ? err.message : String(err));
      }
    })();
    return () => {
      closed = true;
      source?.close();
    };
  }, [id]);

  const history = useMemo(() => [...ops.values()].sort((a, b) => a.index - b.index), [ops]);
  const model = useMemo(() => layoutTimeline(history, mode), [history, mode]);
  const anomalies = doc?.verdict?.anomalies ?? [];
  const anomalous = useMemo(() => anomalyIndex(anomalies), [anomalies]);
  const width = Math.round(Math.max(600, wrapWidth - 4) * zoom);

  const selectAnomaly = (i: number) => {
    setActiveAnomaly(i);
    const set = new Set(anomalies[i].ops);
    setSelected(set);
    const bar = model.barOf.get(anomalies[i].ops[0]);
    setSelectedBar(bar);
    requestAnimationFrame(() =>
      wrap.current
        ?.querySelector(`[data-op="${bar?.invoke.index}"]`)
        ?.scrollIntoView({ block: 'nearest', inline: 'center' }),
    );
  };
  const selectOp = (index: number) => {
    const bar = model.barOf.get(index);
    if (!bar) return;
    setSelectedBar(bar);
    setSelected(new Set(bar.indices));
    setActiveAnomaly(anomalousOf(bar));
    requestAnimationFrame(() =>
      wrap.current
        ?.querySelector(`[data-op="${bar.invoke.index}"]`)
        ?.scrollIntoView({ block: 'nearest', inline: 'center' }),
    );
  };
  const anomalousOf = (bar: Bar) => bar.indices.map((i) => anomalous.get(i)?.[0]).find((a) => a !== undefined);

  if (error) return <Badge tone="bad">{error}</Badge>;
  if (!doc) return <p class="muted">loading…</p>;
  const verdict = doc.verdict;
  return (
    <>
      <Panel
        title={`Run ${doc.id.slice(0, 8)} — ${doc.lab} / ${doc.strategy}`}
        actions={
          <>
            <a href={`/admin/experiments/${doc.id}/history`} download={`${doc.id}.jsonl`}>
              history JSON
            </a>{' '}
            ·{' '}
            <a href={`/admin/experiments/${doc.id}/history.edn`} download={`${doc.id}.edn`}>
              history EDN
            </a>
          </>
        }
      >
        <p>
          <Badge tone={STATUS_TONE[doc.status] ?? 'muted'} testid="exp-status">
            {doc.status}
          </Badge>{' '}
          {live && <Badge tone="info">live</Badge>} workload {doc.workload} · nemesis{' '}
          {typeof doc.nemesis === 'string' ? doc.nemesis : 'custom schedule'} · seed {doc.seed} ·{' '}
          {fmt(doc.params.concurrency)} processes · {fmt(history.length)} ops recorded
        </p>
        <div
          class="progress"
          role="progressbar"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(doc.progress * 100)}
          aria-label="Progress"
        >
          <div style={{ width: `${Math.round(doc.progress * 100)}%` }} />
        </div>
      </Panel>
      <div class="exp-layout">
        <Panel
          title="Timeline"
          actions={
            <>
              <label class="inline">
                lanes{' '}
                <select
                  value={mode}
                  onChange={(e) => setMode((e.currentTarget as HTMLSelectElement).value as LaneMode)}
                >
                  <option value="process">per process</option>
                  <option value="node">per node</option>
                </select>
              </label>
              <button
                type="button"
                onClick={() => setZoom(Math.max(1, zoom / 2))}
                aria-label="Zoom out"
                disabled={zoom <= 1}
              >
                −
              </button>
              <button type="button" onClick={() => setZoom(Math.min(32, zoom * 2))} aria-label="Zoom in">
                +
              </button>
            </>
          }
        >
          <TimelineLegend />
          <div class="timeline-wrap" ref={wrap} data-testid="timeline">
            <Timeline
              model={model}
              anomalous={anomalous}
              selected={selected}
              anomalies={anomalies}
              width={width}
              onSelect={(bar) => selectOp(bar.invoke.index)}
            />
          </div>
          {selectedBar && (
            <div class="op-detail" data-testid="op-detail">
              {describeBar(selectedBar)}
            </div>
          )}
        </Panel>
        <Panel title="Verdict" testid="verdict">
          {!verdict ? (
            <p class="muted">
              {doc.status === 'running' ? 'The checker judges the history when the run ends.' : 'No verdict.'}
            </p>
          ) : (
            <>
              <p>
                {verdict.valid === true ? (
                  <Badge tone="ok">valid: no anomaly</Badge>
                ) : verdict.valid === false ? (
                  <Badge tone="bad">
                    invalid: {anomalies.length} anomal{anomalies.length === 1 ? 'y' : 'ies'}
                  </Badge>
                ) : (
                  <Badge tone="warn">unknown</Badge>
                )}
              </p>
              <ul class="anomaly-list" data-testid="anomalies">
                {anomalies.map((a, i) => (
                  <li key={i} class={activeAnomaly === i ? 'selected' : ''}>
                    <button
                      type="button"
                      class="ghost"
                      onClick={() => selectAnomaly(i)}
                      aria-pressed={activeAnomaly === i}
                    >
                      ⚠ <strong>{a.type}</strong>
                    </button>
                    <p>{a.explanation}</p>
                    <div class="op-links">
                      {a.ops.map((op) => (
                        <button
                          type="button"
                          key={op}
                          onClick={() => selectOp(op)}
                          aria-label={`Show op ${op} on the timeline`}
                        >
                          op {op}
                        </button>
                      ))}
                    </div>
                  </li>
                ))}
              </ul>
              <details>
                <summary>checker figures</summary>
                <pre class="op-detail">{JSON.stringify(verdict.stats, null, 2)}</pre>
              </details>
            </>
          )}
        </Panel>
      </div>
    </>
  );
}
