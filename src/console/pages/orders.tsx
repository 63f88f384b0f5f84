import { useState } from 'preact/hooks';
import { nudge, post, sleep } from '../lib/api';
import { LabSnapshot, read, readError } from '../lib/live';
import { ActionButton, Badge, fmt, Message, Panel, Stat, Toggle, Tone, useActions } from '../lib/ui';

interface ConsumerConfig {
  processing_mode: string;
  enable_idempotency: boolean;
  crash_after_messages: number;
  crash_point: string;
  restart_after_ms: number;
}
interface Stats {
  total_processed_messages: number;
  total_unique_orders: number;
  total_side_effects: number;
  duplicate_side_effects: number;
  orders_applied_more_than_once: number;
  delivery_attempts: number;
  redeliveries_detected: number;
  failed_attempts: number;
  dead_lettered: number;
}

const MODES = ['at-most-once', 'at-least-once', 'exactly-once'];
const CRASH_POINTS = ['before-db-write', 'after-db-write', 'after-offset-commit'];
const CRASH_TEST_ORDERS = 10;
const CRASH_AFTER = 5;

export function OrdersPage({ snapshot }: { snapshot?: LabSnapshot }) {
  const producer = read<{ delivery_mode: string; enable_transactions: boolean; kafka_topic: string }>(
    snapshot,
    'producer',
  );
  const produced = read<{
    produced: Record<string, number>;
    total: number;
    fencing?: { takeovers: number; fenced_orders: number; last: { fenced_producer: string; successor: string } | null };
  }>(snapshot, 'produced');
  const consumer = read<ConsumerConfig>(snapshot, 'consumer');
  const stats = read<Stats>(snapshot, 'stats');
  const dup = read<{
    idempotency_working: boolean;
    duplicate_entries: Array<{ message_id: string; attempt_count: number }>;
  }>(snapshot, 'duplicates');
  const lag = read<{ total_lag: number }>(snapshot, 'lag');
  const { busy, message, run } = useActions();
  const [crashAfter, setCrashAfter] = useState(CRASH_AFTER);
  const [crashPoint, setCrashPoint] = useState('after-db-write');
  const [test, setTest] = useState<string | undefined>();
  const node = (name: string) => snapshot?.nodes.find((n) => n.node === name);

  const configure = (path: string, body: Record<string, unknown>, note: string) =>
    run('config', async () => {
      await post(path, body);
      nudge('orders');
      return note;
    });

  const resetAll = async () => {
    await post('/orders/api/reset');
    await post('/orders/consumer/reset-stats').catch(() => undefined);
    await post('/orders/producer/reset-stats');
  };

  const crashTest = () =>
    run('crash-test', async () => {
      setTest('resetting…');
      await resetAll();
      await post('/orders/consumer/config', { crash_after_messages: crashAfter, crash_point: crashPoint });
      const stamp = Date.now().toString(36);
      for (let i = 1; i <= CRASH_TEST_ORDERS; i++) {
        setTest(
          `sending order ${i} of ${CRASH_TEST_ORDERS} (the consumer crashes at message ${crashAfter}, ${crashPoint})`,
        );
        await post('/orders/producer/orders', {
          customer_id: `crash-${stamp}-${i}`,
          items: [{ name: `Item ${i}`, quantity: 1, price: 10 }],
          total_amount: 10,
        });
        nudge('orders');
        await sleep(300);
      }
      setTest('all sent; the consumer restarts by itself and catches up — watch the figures');
      nudge('orders');
    });

  const nodeBadge = (name: string) => {
    const n = node(name);
    if (!n) return null;
    return (
      <Badge tone={n.up ? 'ok' : 'bad'} testid={`node-${name}`}>
        {n.up ? 'up' : n.crashed ? 'crashed — restarting' : 'unreachable'}
        {n.crashes ? ` · ${n.crashes} crash${n.crashes > 1 ? 'es' : ''}` : ''}
      </Badge>
    );
  };

  const duplicates = stats?.duplicate_side_effects ?? 0;
  const sentTotal = produced ? (produced.produced.success ?? 0) + (produced.produced.sent ?? 0) : undefined;
  const lost =
    sentTotal !== undefined && stats && lag?.total_lag === 0
      ? Math.max(0, sentTotal - stats.total_unique_orders)
      : undefined;
  const verdict: { tone: Tone; text: string } | undefined = stats
    ? duplicates > 0
      ? { tone: 'bad', text: `${duplicates} order${duplicates > 1 ? 's' : ''} applied more than once` }
      : lost
        ? { tone: 'bad', text: `${lost} acknowledged order${lost > 1 ? 's' : ''} never applied (lost)` }
        : { tone: 'ok', text: 'every order applied exactly once so far' }
    : undefined;

  return (
    <div class="page">
      <div class="page-head">
        <h1>Orders — producer → Kafka → consumer</h1>
        {verdict && (
          <Badge tone={verdict.tone} testid="orders-verdict">
            {verdict.text}
          </Badge>
        )}
      </div>
      <div class="pipeline" role="group" aria-label="Pipeline">
        <div class="stage">
          <h2>producer</h2>
          {nodeBadge('producer')}
          <Stat
            label="produced"
            value={fmt(produced?.total)}
            testid="produced"
            hint={produced ? JSON.stringify(produced.produced) : undefined}
          />
          <p class="small">
            {producer?.delivery_mode ?? '…'}
            {producer?.enable_transactions ? ' · transactions' : ''}
          </p>
          {produced?.fencing?.last && (
            <p class="small" data-testid="fenced-producer">
              <Badge tone="warn">fenced</Badge> {produced.fencing.last.fenced_producer} →{' '}
              {produced.fencing.last.successor} · {produced.fencing.fenced_orders} order
              {produced.fencing.fenced_orders === 1 ? '' : 's'} refused (503)
            </p>
          )}
        </div>
        <div class="arrow" aria-hidden="true">
          →
        </div>
        <div class="stage">
          <h2>Kafka</h2>
          <p class="small">{producer?.kafka_topic}</p>
          <Stat
            label="consumer lag"
            value={fmt(lag?.total_lag)}
            testid="lag"
            tone={lag && lag.total_lag > 0 ? 'warn' : undefined}
          />
          {readError(snapshot, 'lag') && <Badge tone="bad">{readError(snapshot, 'lag')}</Badge>}
        </div>
        <div class="arrow" aria-hidden="true">
          →
        </div>
        <div class="stage">
          <h2>consumer</h2>
          {nodeBadge('consumer')}
          <Stat label="deliveries" value={fmt(stats?.delivery_attempts)} testid="consumed" />
          <p class="small">
            {consumer?.processing_mode ?? '…'} · idempotency{' '}
            {consumer ? (consumer.enable_idempotency ? 'on' : 'off') : '…'}
          </p>
        </div>
        <div class="arrow" aria-hidden="true">
          →
        </div>
        <div class="stage">
          <h2>PostgreSQL</h2>
          {nodeBadge('api')}
          <div class="stats-row">
            <Stat label="unique orders" value={fmt(stats?.total_unique_orders)} testid="unique" />
            <Stat label="side effects" value={fmt(stats?.total_side_effects)} />
            <Stat
              label="duplicates"
              value={fmt(stats?.duplicate_side_effects)}
              tone={duplicates > 0 ? 'bad' : undefined}
              testid="duplicates"
            />
            <Stat
              label="dead letters"
              value={fmt(stats?.dead_lettered)}
              tone={stats?.dead_lettered ? 'warn' : undefined}
              testid="dead-letters"
            />
            <Stat label="redeliveries detected" value={fmt(stats?.redeliveries_detected)} />
          </div>
        </div>
      </div>
      <div class="grid two">
        <Panel title="Delivery and idempotency">
          <label class="inline">
            producer delivery mode{' '}
            <select
              value={producer?.delivery_mode}
              disabled={!producer || busy !== undefined}
              onChange={(e) =>
                configure(
                  '/orders/producer/config',
                  { delivery_mode: (e.currentTarget as HTMLSelectElement).value },
                  'Producer rebuilt.',
                )
              }
              data-testid="delivery-mode"
            >
              {MODES.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </label>
          <label class="inline">
            consumer processing mode{' '}
            <select
              value={consumer?.processing_mode}
              disabled={!consumer || busy !== undefined}
              onChange={(e) =>
                configure(
                  '/orders/consumer/config',
                  { processing_mode: (e.currentTarget as HTMLSelectElement).value },
                  'Consumer rebuilt.',
                )
              }
              data-testid="processing-mode"
            >
              {MODES.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </label>
          <Toggle
            label="idempotent consumer (dedupe record + side effect in one transaction)"
            checked={consumer?.enable_idempotency ?? false}
            disabled={!consumer || busy !== undefined}
            onChange={(v) =>
              configure('/orders/consumer/config', { enable_idempotency: v }, `Idempotency ${v ? 'on' : 'off'}.`)
            }
            testid="idempotency"
          />
          {dup && !dup.idempotency_working && (
            <p data-testid="duplicate-orders">
              <Badge tone="bad">applied twice</Badge>{' '}
              {dup.duplicate_entries.map((d) => `${d.message_id.slice(0, 8)} ×${d.attempt_count}`).join(', ')}
            </p>
          )}
        </Panel>
        <Panel title="Crash test">
          <label class="inline">
            crash after message{' '}
            <input
              type="number"
              min={1}
              max={1000}
              value={crashAfter}
              onChange={(e) => setCrashAfter(Number((e.currentTarget as HTMLInputElement).value))}
            />
          </label>
          <label class="inline">
            at{' '}
            <select value={crashPoint} onChange={(e) => setCrashPoint((e.currentTarget as HTMLSelectElement).value)}>
              {CRASH_POINTS.map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
          </label>
          <div class="actions">
            <ActionButton
              primary
              label={`Crash test: ${CRASH_TEST_ORDERS} orders`}
              name="crash-test"
              busy={busy}
              onClick={crashTest}
              testid="attack"
            />
            <ActionButton
              label="Arm crash only"
              name="config"
              busy={busy}
              onClick={() =>
                configure(
                  '/orders/consumer/config',
                  { crash_after_messages: crashAfter, crash_point: crashPoint },
                  `Consumer crashes at message ${crashAfter} from now.`,
                )
              }
            />
            <ActionButton
              label="Crash consumer now"
              name="crash"
              busy={busy}
              onClick={() =>
                run('crash', async () => void (await post('/admin/labs/orders/nodes/consumer/crash'), nudge('orders')))
              }
            />
            <ActionButton
              label="Zombie producer"
              name="zombie"
              busy={busy}
              disabled={!producer?.enable_transactions || producer.delivery_mode !== 'exactly-once'}
              onClick={() =>
                run('zombie', async () => {
                  const reply = await post<{ message: string }>('/orders/producer/simulate/zombie');
                  nudge('orders');
                  return reply.message;
                })
              }
              testid="zombie"
            />
            <ActionButton
              label="Reset"
              name="reset"
              busy={busy}
              onClick={() => run('reset', async () => (await resetAll(), nudge('orders'), 'Orders and stats cleared.'))}
            />
          </div>
          {consumer && consumer.crash_after_messages > 0 && (
            <Badge tone="warn">
              crash armed: message {consumer.crash_after_messages}, {consumer.crash_point}
            </Badge>
          )}
          <p class="small" data-testid="crash-test-progress">
            {test}
          </p>
          <Message message={message} />
        </Panel>
      </div>
    </div>
  );
}
