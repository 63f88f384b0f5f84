import { useState } from 'preact/hooks';
import { call, nudge, post } from '../lib/api';
import { LabSnapshot, read, readError, strategyPort } from '../lib/live';
import { ActionButton, Badge, fmt, Message, NodeStrip, Panel, Stat, StrategyPicker, useActions } from '../lib/ui';

interface Seat {
  seat_number: string;
  row_name: string;
  section: string;
  is_booked: boolean;
  booked_by: string | null;
}
interface DoubleBooking {
  seat_number: string;
  booking_count: number;
  customers: string[];
}
interface StrategyStats {
  locking_strategy: string;
  confirmed: number;
  failed: number;
  double_booked: number;
  total: number;
  p50_ms: number | null;
  p99_ms: number | null;
}
interface AttackResult {
  strategy: string;
  confirmed: string[];
  failed: number;
  double_booked: string[];
  errors: number;
}

const UNSAFE = new Set(['none', 'distributed']);
const CUSTOMERS = 10;

export function BookingPage({ snapshot }: { snapshot?: LabSnapshot }) {
  const seats = read<{ seats: Seat[] }>(snapshot, 'seats')?.seats ?? [];
  const doubles = read<{ double_bookings: DoubleBooking[] }>(snapshot, 'double_bookings')?.double_bookings ?? [];
  const stats = read<{ by_strategy: StrategyStats[]; totals: Record<string, number> }>(snapshot, 'stats');
  const settings = read<{ race_window_ms: number; lock_ttl_ms: number }>(snapshot, 'settings');
  const port = strategyPort(snapshot, 'seat-locking');
  const { busy, message, run } = useActions();
  const [attack, setAttack] = useState<AttackResult | undefined>();
  const doubleBySeat = new Map(doubles.map((d) => [d.seat_number, d]));
  const rows = [...new Set(seats.map((s) => s.row_name))];

  const select = (key: string) =>
    run('strategy', async () => {
      await post('/booking/admin/strategy', { strategy: key });
      nudge('booking');
      return `Strategy: ${key}`;
    });

  const tenCustomers = () =>
    run('attack', async () => {
      await post('/booking/admin/reset');
      // Ten customers click "book A1" at the same moment: ten requests in flight at once.
      const answers = await Promise.all(
        Array.from({ length: CUSTOMERS }, (_, i) =>
          call('POST', '/booking/book', { event_id: 1, seat_number: 'A1', customer_id: `customer-${i + 1}` }),
        ),
      );
      const result: AttackResult = {
        strategy: port?.current ?? '?',
        confirmed: [],
        failed: 0,
        double_booked: [],
        errors: 0,
      };
      answers.forEach((a, i) => {
        const status = (a.body as { status?: string } | null)?.status;
        if (!a.ok) result.errors++;
        else if (status === 'confirmed') result.confirmed.push(`customer-${i + 1}`);
        else if (status === 'double_booked') result.double_booked.push(`customer-${i + 1}`);
        else result.failed++;
      });
      setAttack(result);
      nudge('booking');
    });

  const reset = () =>
    run('reset', async () => {
      await post('/booking/admin/reset');
      setAttack(undefined);
      nudge('booking');
      return 'Event 1 reset: every seat free again.';
    });

  const sold = attack ? attack.confirmed.length + attack.double_booked.length : 0;
  return (
    <div class="page">
      <div class="page-head">
        <h1>Booking — ten customers, one seat</h1>
        <NodeStrip snapshot={snapshot} />
      </div>
      <div class="grid two">
        <Panel title="Strategy and attack">
          <StrategyPicker
            name="seat-locking"
            label="Seat locking"
            current={port?.current}
            disabled={busy !== undefined}
            options={(port?.strategies ?? []).map((s) => ({ ...s, unsafe: UNSAFE.has(s.key) }))}
            onSelect={select}
          />
          <div class="actions">
            <ActionButton
              primary
              label={`${CUSTOMERS} customers click A1`}
              name="attack"
              busy={busy}
              onClick={tenCustomers}
              testid="attack"
            />
            <ActionButton label="Reset event" name="reset" busy={busy} onClick={reset} />
          </div>
          <p class="muted small">
            Race window {fmt(settings?.race_window_ms)} ms between the read and the write · lock TTL{' '}
            {fmt(settings?.lock_ttl_ms)} ms
          </p>
          <Message message={message} />
          {attack && (
            <div class="result" data-testid="attack-result">
              <p>
                <strong>{attack.strategy}</strong>: {CUSTOMERS} requests,{' '}
                {sold > 1 ? (
                  <Badge tone="bad">A1 sold {sold} times</Badge>
                ) : sold === 1 ? (
                  <Badge tone="ok">A1 sold once</Badge>
                ) : (
                  <Badge tone="warn">A1 not sold</Badge>
                )}{' '}
                · {attack.failed} refused{attack.errors ? ` · ${attack.errors} errors` : ''}
              </p>
              {sold > 0 && <p class="small">Given to: {[...attack.confirmed, ...attack.double_booked].join(', ')}</p>}
            </div>
          )}
        </Panel>
        <Panel title="Seat map — event 1" testid="seat-map">
          <div class="legend small" aria-hidden="true">
            <span class="seat free">A1</span> free <span class="seat booked">✓</span> booked{' '}
            <span class="seat double">×2</span> double-booked
          </div>
          {readError(snapshot, 'seats') && <Badge tone="bad">{readError(snapshot, 'seats')}</Badge>}
          <div class="seat-rows" role="list">
            {rows.map((row) => (
              <div class="seat-row" key={row} role="listitem" aria-label={`Row ${row}`}>
                <span class="row-name">{row}</span>
                {seats
                  .filter((s) => s.row_name === row)
                  .map((s) => {
                    const d = doubleBySeat.get(s.seat_number);
                    const state = d ? 'double' : s.is_booked ? 'booked' : 'free';
                    const label = d
                      ? `${s.seat_number}: double-booked ×${d.booking_count} (${d.customers.join(', ')})`
                      : s.is_booked
                        ? `${s.seat_number}: booked by ${s.booked_by}`
                        : `${s.seat_number}: free`;
                    return (
                      <span
                        key={s.seat_number}
                        class={`seat ${state}`}
                        title={label}
                        aria-label={label}
                        data-testid={`seat-${s.seat_number}`}
                        data-state={state}
                      >
                        {d ? `×${d.booking_count}` : s.is_booked ? '✓' : s.seat_number.slice(row.length)}
                      </span>
                    );
                  })}
              </div>
            ))}
          </div>
          <div data-testid="double-bookings">
            {doubles.length === 0 ? (
              <Badge tone="ok" testid="no-double-booking">
                No seat is double-booked
              </Badge>
            ) : (
              <ul class="anomalies">
                {doubles.map((d) => (
                  <li key={d.seat_number}>
                    <Badge tone="bad">double-booked</Badge> seat <strong>{d.seat_number}</strong> sold {d.booking_count}{' '}
                    times, to {d.customers.join(', ')}
                  </li>
                ))}
              </ul>
            )}
          </div>
        </Panel>
      </div>
      <Panel title="Attempts per strategy (event 1, since the last reset)">
        <div class="stats-row">
          <Stat label="confirmed" value={fmt(stats?.totals.confirmed)} />
          <Stat label="refused" value={fmt(stats?.totals.failed)} />
          <Stat
            label="double-booked"
            value={fmt(stats?.totals.double_booked)}
            tone={stats?.totals.double_booked ? 'bad' : undefined}
          />
        </div>
        <table>
          <thead>
            <tr>
              <th scope="col">strategy</th>
              <th scope="col">confirmed</th>
              <th scope="col">refused</th>
              <th scope="col">double-booked</th>
              <th scope="col">p50 ms</th>
              <th scope="col">p99 ms</th>
            </tr>
          </thead>
          <tbody>
            {(stats?.by_strategy ?? []).map((s) => (
              <tr key={s.locking_strategy}>
                <th scope="row">{s.locking_strategy}</th>
                <td>{s.confirmed}</td>
                <td>{s.failed}</td>
                <td>{s.double_booked > 0 ? <Badge tone="bad">{s.double_booked}</Badge> : 0}</td>
                <td>{fmt(s.p50_ms, 1)}</td>
                <td>{fmt(s.p99_ms, 1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Panel>
    </div>
  );
}
