import { useState } from 'preact/hooks';
import { get, nudge, post } from '../lib/api';
import { LabSnapshot, read, strategyPort } from '../lib/live';
import {
  ActionButton,
  Badge,
  fmt,
  Message,
  NodeStrip,
  Panel,
  Stat,
  StrategyPicker,
  Toggle,
  useActions,
} from '../lib/ui';

const REGIONS = ['us-east', 'us-west', 'eu-west'] as const;
interface RegionCounters {
  region: string;
  node_id: string;
  network_partition: boolean;
  last_sync_time: number | null;
  counters: Record<string, { local_count: number; total_count: number; nodes: Record<string, number> }>;
}
interface Demo {
  counter: string;
  acknowledged: number;
  strategy: string;
  global?: number;
  converged?: boolean;
  phase: 'partitioned' | 'healed';
}

const UNSAFE = new Set(['max-of-totals']);
const DEMO_EAST = 5;
const DEMO_WEST = 7;

export function CounterPage({ snapshot }: { snapshot?: LabSnapshot }) {
  const regions = REGIONS.map((r) => ({ name: r, state: read<RegionCounters>(snapshot, r) }));
  const strong = read<{ counters: Record<string, number> }>(snapshot, 'strong');
  const heal = read<{ last_heal: null | { heal_to_convergence_ms?: number; region?: string } }>(
    snapshot,
    'convergence',
  );
  const view = strategyPort(snapshot, 'global-view');
  const strongPort = strategyPort(snapshot, 'strong-counter');
  const names = [...new Set(regions.flatMap((r) => Object.keys(r.state?.counters ?? {})))].sort();
  const [chosen, setChosen] = useState<string | undefined>();
  const [demo, setDemo] = useState<Demo | undefined>();
  const { busy, message, run } = useActions();
  const name = chosen && names.includes(chosen) ? chosen : (demo?.counter ?? names[0]);
  const nodeIds = [
    ...new Set(
      regions
        .flatMap((r) => Object.keys(r.state?.counters[name ?? '']?.nodes ?? {}))
        .concat(regions.map((r) => `${r.name}-1`)),
    ),
  ].sort();
  const totals = regions.map((r) => r.state?.counters[name ?? '']?.total_count ?? 0);
  const lagValue = regions.every((r) => r.state) ? Math.max(...totals) - Math.min(...totals) : undefined;
  const maps = regions.map((r) => JSON.stringify(sorted(r.state?.counters[name ?? '']?.nodes ?? {})));
  const converged = regions.every((r) => r.state) && maps.every((m) => m === maps[0]);

  const partition = (region: string, enabled: boolean) =>
    run('partition', async () => {
      await post(`/counter/gateway/admin/partition/${region}?enabled=${enabled}`);
      nudge('counter');
      return `${region} ${enabled ? 'cut off from its peers' : 'healed'}.`;
    });

  const readGlobal = async (counter: string) =>
    get<{ global_count: number; convergence: { converged: boolean } }>(
      `/counter/gateway/api/counter/${encodeURIComponent(counter)}`,
    );

  const partitionDemo = () =>
    run('attack', async () => {
      const counter = `partition_demo_${Date.now().toString(36)}`;
      setChosen(counter);
      await post('/counter/gateway/admin/partition/us-east?enabled=true');
      for (let i = 0; i < DEMO_EAST; i++)
        await post('/counter/us-east/increment', { counter_name: counter, amount: 1 });
      for (let i = 0; i < DEMO_WEST; i++)
        await post('/counter/us-west/increment', { counter_name: counter, amount: 1 });
      const global = await readGlobal(counter);
      setDemo({
        counter,
        acknowledged: DEMO_EAST + DEMO_WEST,
        strategy: view?.current ?? '?',
        global: global.global_count,
        converged: global.convergence.converged,
        phase: 'partitioned',
      });
      nudge('counter');
    });

  const healDemo = () =>
    run('heal', async () => {
      await post('/counter/gateway/admin/partition/us-east?enabled=false');
      await post('/counter/gateway/admin/force-sync');
      if (demo) {
        const global = await readGlobal(demo.counter);
        setDemo({
          ...demo,
          global: global.global_count,
          converged: global.convergence.converged,
          phase: 'healed',
          strategy: view?.current ?? demo.strategy,
        });
      }
      nudge('counter');
    });

  return (
    <div class="page">
      <div class="page-head">
        <h1>Counter — regions apart and together again</h1>
        <NodeStrip snapshot={snapshot} />
      </div>
      <div class="grid two">
        <Panel title="Global view and the partition demo">
          <StrategyPicker
            name="global-view"
            label="Global count read as"
            current={view?.current}
            disabled={busy !== undefined}
            options={(view?.strategies ?? []).map((s) => ({ ...s, unsafe: UNSAFE.has(s.key) }))}
            onSelect={(key) =>
              run('strategy', async () => {
                await post('/admin/labs/counter/strategies/global-view', { strategy: key });
                nudge('counter');
                return `Global view: ${key}`;
              })
            }
          />
          <div class="actions">
            <ActionButton
              primary
              label={`Partition us-east, +${DEMO_EAST} there, +${DEMO_WEST} on us-west`}
              name="attack"
              busy={busy}
              onClick={partitionDemo}
              testid="attack"
            />
            <ActionButton label="Heal and force-sync" name="heal" busy={busy} onClick={healDemo} testid="heal" />
          </div>
          <Message message={message} />
          {demo && (
            <div class="result" data-testid="attack-result">
              <p>
                counter <code>{demo.counter}</code> ({demo.phase}, read as {demo.strategy}): {demo.acknowledged}{' '}
                increments acknowledged, the gateway reads{' '}
                <strong data-testid="global-count">{fmt(demo.global)}</strong>{' '}
                {demo.global === demo.acknowledged ? (
                  <Badge tone="ok" testid="count-exact">
                    nothing lost
                  </Badge>
                ) : (
                  <Badge tone="bad" testid="undercount">
                    {demo.acknowledged - (demo.global ?? 0)} acknowledged increments missing from the global count
                  </Badge>
                )}
              </p>
            </div>
          )}
        </Panel>
        <Panel title="Strong counter (linearizable)">
          <p class="small muted">
            Strategy {strongPort?.current ?? '…'}: every increment coordinates, so it is never stale, and pays for it in
            latency.
          </p>
          <table>
            <tbody>
              {Object.entries(strong?.counters ?? {}).map(([k, v]) => (
                <tr key={k}>
                  <th scope="row">{k}</th>
                  <td class="num">{fmt(v)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="actions">
            <ActionButton
              label="+1 on the strong counter"
              name="strong"
              busy={busy}
              onClick={() =>
                run('strong', async () => {
                  const r = await post<{ total_latency_ms?: number; value?: number }>('/counter/strong/increment', {
                    counter_name: 'views',
                    amount: 1,
                  });
                  nudge('counter');
                  return `strong increment took ${fmt(r.total_latency_ms, 1)} ms`;
                })
              }
            />
            <ActionButton
              label="Force sync now"
              name="sync"
              busy={busy}
              onClick={() =>
                run('sync', async () => void (await post('/counter/gateway/admin/force-sync'), nudge('counter')))
              }
            />
          </div>
          {heal?.last_heal && (
            <p class="small">last heal → convergence: {fmt(heal.last_heal.heal_to_convergence_ms)} ms</p>
          )}
        </Panel>
      </div>
      <Panel
        title="Regions"
        actions={
          <label class="inline">
            counter{' '}
            <select
              value={name}
              onChange={(e) => setChosen((e.currentTarget as HTMLSelectElement).value)}
              data-testid="counter-name"
            >
              {names.map((n) => (
                <option key={n}>{n}</option>
              ))}
            </select>
          </label>
        }
      >
        <div class="stats-row">
          <Stat
            label="convergence lag (max − min total)"
            value={fmt(lagValue)}
            tone={lagValue ? 'warn' : undefined}
            testid="lag"
          />
          <Stat
            label="regions agree"
            value={converged ? 'yes' : 'no'}
            tone={converged ? 'ok' : 'bad'}
            testid="converged"
          />
        </div>
        <div class="grid three">
          {regions.map(({ name: region, state }) => {
            const c = state?.counters[name ?? ''];
            return (
              <div
                class={`region ${state?.network_partition ? 'cut' : ''}`}
                key={region}
                data-testid={`region-${region}`}
              >
                <h3>
                  {region}{' '}
                  {state?.network_partition ? (
                    <Badge tone="bad">partitioned</Badge>
                  ) : state ? (
                    <Badge tone="ok">connected</Badge>
                  ) : (
                    <Badge tone="bad">down</Badge>
                  )}
                </h3>
                <Toggle
                  label="cut off from peers"
                  checked={state?.network_partition ?? false}
                  disabled={!state || busy !== undefined}
                  onChange={(v) => partition(region, v)}
                  testid={`partition-${region}`}
                />
                <Stat label="total here" value={fmt(c?.total_count ?? 0)} />
                <table class="vector" aria-label={`${region} node vector`}>
                  <thead>
                    <tr>
                      <th scope="col">node</th>
                      <th scope="col">count</th>
                    </tr>
                  </thead>
                  <tbody>
                    {nodeIds.map((id) => (
                      <tr key={id}>
                        <th scope="row">{id}</th>
                        <td class="num">{fmt(c?.nodes[id] ?? 0)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                <p class="small muted">
                  last sync {state?.last_sync_time ? new Date(state.last_sync_time * 1000).toLocaleTimeString() : '—'}
                </p>
              </div>
            );
          })}
        </div>
      </Panel>
    </div>
  );
}

function sorted(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
