import type { Live } from '../lib/live';
import { Badge, LABS, Link, Panel } from '../lib/ui';

const BLURB: Record<string, string> = {
  booking: 'Ten customers click the same seat; see it sold twice, then never.',
  bank: 'Two $800 transfers pass one balance check; alice goes below zero.',
  orders: 'Crash the consumer mid-stream; count what is lost or applied twice.',
  counter: 'Cut a region off; watch the counts drift apart and meet again.',
  replication: 'Read right after a write; see how stale each replica is.',
};

export function OverviewPage({ live }: { live: Live }) {
  return (
    <div class="page">
      <h1>Lab console</h1>
      <p class="muted">
        Each lab's live state, its switches and its seed demo as one button. Experiments run a lab under faults and draw
        every operation.
      </p>
      <div class="grid three">
        {LABS.map((lab) => {
          const s = live.labs[lab];
          const down = s?.nodes.filter((n) => !n.up) ?? [];
          return (
            <Panel key={lab} title={lab} testid={`card-${lab}`}>
              <p>{BLURB[lab]}</p>
              <p>
                {!s ? (
                  <Badge tone="muted">not running here</Badge>
                ) : down.length ? (
                  <Badge tone="bad">{down.map((n) => n.node).join(', ')} down</Badge>
                ) : (
                  <Badge tone="ok">
                    {s.nodes.length} node{s.nodes.length > 1 ? 's' : ''} up
                  </Badge>
                )}{' '}
                {s?.strategies.map((p) => (
                  <span key={p.port} class="small muted">
                    {p.port}: {p.current}{' '}
                  </span>
                ))}
              </p>
              <Link href={`/console/${lab}`}>Open {lab} →</Link>
            </Panel>
          );
        })}
        <Panel title="experiments">
          <p>Seeded workloads under a fault schedule, judged by a checker, drawn as a timeline.</p>
          <Link href="/console/experiments">Open experiments →</Link>
        </Panel>
      </div>
    </div>
  );
}
