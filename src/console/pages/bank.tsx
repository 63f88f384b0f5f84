import { useState } from 'preact/hooks';
import { call, nudge, post } from '../lib/api';
import { LabSnapshot, read } from '../lib/live';
import { ActionButton, Badge, fmt, Message, NodeStrip, Panel, StrategyPicker, Toggle, useActions } from '../lib/ui';

interface Settings {
  delay_enabled: boolean;
  delay_ms: number;
  barrier_enabled: boolean;
  barrier_count: number;
  use_transactions: boolean;
  transfer_strategy: string;
  barrier_waiting: number;
}
interface Invariants {
  ok: boolean;
  total: number;
  expected_total: number;
  conserved: boolean;
  difference: number;
  negative_balances: Array<{ id: string; balance: number }>;
  ledger_consistent: boolean;
  race_hits_since_reset: number;
}
interface Transfer {
  id: string;
  timestamp: string;
  from_account: string;
  to_account: string;
  amount: number;
  from_balance_before: number;
  from_balance_after: number;
  status: string;
  strategy: string;
  duration_ms: number;
}

const STRATEGIES = [
  {
    key: 'vulnerable',
    description: 'Check the balance, then debit and credit in separate statements: the check-then-act window is open.',
    unsafe: true,
  },
  {
    key: 'safe',
    description: 'Safe mode: one transaction, both rows locked FOR UPDATE in id order, then check and move.',
  },
  {
    key: 'read-committed',
    description: 'Check-then-act in one READ COMMITTED transaction without locks: still double spends.',
    unsafe: true,
  },
  {
    key: 'repeatable-read',
    description: 'REPEATABLE READ: the second writer gets a serialization failure and retries.',
  },
  { key: 'serializable', description: 'SERIALIZABLE: PostgreSQL aborts one of the two; it retries and is refused.' },
];

export function BankPage({ snapshot }: { snapshot?: LabSnapshot }) {
  const accounts = read<{ accounts: Array<{ id: string; balance: number }> }>(snapshot, 'accounts')?.accounts ?? [];
  const inv = read<Invariants>(snapshot, 'invariants');
  const settings = read<Settings>(snapshot, 'settings');
  const transfers = read<{ transactions: Transfer[] }>(snapshot, 'transactions')?.transactions ?? [];
  const { busy, message, run } = useActions();
  const [delayMs, setDelayMs] = useState<number | undefined>();
  const [outcome, setOutcome] = useState<string[] | undefined>();

  const update = (changes: Partial<Settings>, note: string) =>
    run('settings', async () => {
      await post('/bank/admin/settings', changes);
      nudge('bank');
      return note;
    });

  const twoTransfers = () =>
    run('attack', async () => {
      await post('/bank/reset');
      // The seed's guaranteed race: a barrier holds the first transfer until the second arrives.
      await post('/bank/admin/settings', { barrier_enabled: true, barrier_count: 2 });
      const answers = await Promise.all(
        ['bob', 'charlie'].map((to) =>
          call('POST', '/bank/transfer', { from_account: 'alice', to_account: to, amount: 800 }, 40_000),
        ),
      );
      await post('/bank/admin/settings', { barrier_enabled: false });
      setOutcome(
        answers.map((a, i) => {
          const body = a.body as { status?: string; from_balance_after?: number; message?: string };
          const to = i === 0 ? 'bob' : 'charlie';
          return a.ok
            ? `alice → ${to} $800: ${body.status}${body.from_balance_after !== undefined ? `, alice left with $${body.from_balance_after}` : ''}`
            : `alice → ${to} $800: refused (${a.status}) ${body.message ?? ''}`;
        }),
      );
      nudge('bank');
    });

  const reset = () =>
    run('reset', async () => {
      await post('/bank/reset');
      setOutcome(undefined);
      nudge('bank');
      return 'Accounts reset to alice $1000, bob $500, charlie $200.';
    });

  const negative = new Set((inv?.negative_balances ?? []).map((n) => n.id));
  return (
    <div class="page">
      <div class="page-head">
        <h1>Bank — two transfers, one balance check</h1>
        <NodeStrip snapshot={snapshot} />
      </div>
      <div class="grid two">
        <Panel title="Accounts" testid="accounts">
          <table>
            <thead>
              <tr>
                <th scope="col">account</th>
                <th scope="col">balance</th>
                <th scope="col">state</th>
              </tr>
            </thead>
            <tbody>
              {accounts.map((a) => (
                <tr key={a.id} data-testid={`account-${a.id}`} class={negative.has(a.id) ? 'row-bad' : ''}>
                  <th scope="row">{a.id}</th>
                  <td class="num">${fmt(a.balance, 2)}</td>
                  <td>{negative.has(a.id) ? <Badge tone="bad">below zero</Badge> : <Badge tone="ok">ok</Badge>}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {inv && (
            <div class="checks" data-testid="invariants" data-ok={String(inv.ok)}>
              <p>
                {inv.conserved ? (
                  <Badge tone="ok" testid="money-conserved">
                    money conserved: ${fmt(inv.total, 2)} of ${fmt(inv.expected_total, 2)}
                  </Badge>
                ) : (
                  <Badge tone="bad" testid="money-conserved">
                    money NOT conserved: ${fmt(inv.total, 2)} instead of ${fmt(inv.expected_total, 2)} (
                    {fmt(inv.difference, 2)})
                  </Badge>
                )}
              </p>
              <p>
                {inv.negative_balances.length === 0 ? (
                  <Badge tone="ok" testid="no-negative">
                    no balance below zero
                  </Badge>
                ) : (
                  <Badge tone="bad" testid="negative-balance">
                    double spend: {inv.negative_balances.map((n) => `${n.id} at $${n.balance}`).join(', ')}
                  </Badge>
                )}
              </p>
              <p>
                <Badge tone={inv.ledger_consistent ? 'ok' : 'bad'}>
                  ledger {inv.ledger_consistent ? 'matches the balances' : 'does not match'}
                </Badge>{' '}
                <span class="small muted">races detected since reset: {inv.race_hits_since_reset}</span>
              </p>
            </div>
          )}
        </Panel>
        <Panel title="Strategy, switches and attack">
          <StrategyPicker
            name="transfer"
            label="Transfer strategy"
            current={settings?.transfer_strategy}
            disabled={busy !== undefined}
            options={STRATEGIES}
            onSelect={(key) => update({ transfer_strategy: key }, `Transfers now run ${key}.`)}
          />
          <div class="switches">
            <Toggle
              label="safe mode (transaction + row locks)"
              checked={settings?.use_transactions ?? false}
              disabled={!settings || busy !== undefined}
              onChange={(v) => update({ use_transactions: v }, `Safe mode ${v ? 'on' : 'off'}.`)}
              testid="safe-mode"
            />
            <Toggle
              label="debug delay in the check-then-act window"
              checked={settings?.delay_enabled ?? false}
              disabled={!settings || busy !== undefined}
              onChange={(v) =>
                update({ delay_enabled: v, delay_ms: delayMs ?? settings?.delay_ms }, `Delay ${v ? 'on' : 'off'}.`)
              }
            />
            <label class="inline">
              delay ms{' '}
              <input
                type="number"
                min={0}
                max={10000}
                step={50}
                value={delayMs ?? settings?.delay_ms ?? 100}
                onChange={(e) => setDelayMs(Number((e.currentTarget as HTMLInputElement).value))}
                onBlur={() => delayMs !== undefined && update({ delay_ms: delayMs }, `Delay ${delayMs} ms.`)}
              />
            </label>
            <Toggle
              label={`barrier: hold transfers until ${settings?.barrier_count ?? 2} arrive`}
              checked={settings?.barrier_enabled ?? false}
              disabled={!settings || busy !== undefined}
              onChange={(v) => update({ barrier_enabled: v }, `Barrier ${v ? 'on' : 'off'}.`)}
            />
            {settings && settings.barrier_waiting > 0 && (
              <Badge tone="warn">{settings.barrier_waiting} waiting at the barrier</Badge>
            )}
          </div>
          <div class="actions">
            <ActionButton
              primary
              label="Two $800 transfers from alice"
              name="attack"
              busy={busy}
              onClick={twoTransfers}
              testid="attack"
            />
            <ActionButton label="Reset accounts" name="reset" busy={busy} onClick={reset} />
          </div>
          <p class="small muted">
            The attack resets the accounts, turns the barrier on so both transfers pass the check together, sends them,
            and turns it off.
          </p>
          <Message message={message} />
          {outcome && (
            <ul class="result" data-testid="attack-result">
              {outcome.map((o) => (
                <li key={o}>{o}</li>
              ))}
            </ul>
          )}
        </Panel>
      </div>
      <Panel title="Recent transfers">
        <table>
          <thead>
            <tr>
              <th scope="col">time</th>
              <th scope="col">transfer</th>
              <th scope="col">from balance</th>
              <th scope="col">status</th>
              <th scope="col">strategy</th>
              <th scope="col">ms</th>
            </tr>
          </thead>
          <tbody>
            {transfers
              .slice(-10)
              .reverse()
              .map((t) => (
                <tr key={t.id}>
                  <td>{new Date(t.timestamp).toLocaleTimeString()}</td>
                  <td>
                    {t.from_account} → {t.to_account} ${fmt(t.amount, 2)}
                  </td>
                  <td class={t.from_balance_after < 0 ? 'neg' : ''}>
                    ${fmt(t.from_balance_before, 2)} → ${fmt(t.from_balance_after, 2)}
                  </td>
                  <td>
                    {t.status === 'success' ? <Badge tone="ok">success</Badge> : <Badge tone="warn">{t.status}</Badge>}
                  </td>
                  <td>{t.strategy}</td>
                  <td>{fmt(t.duration_ms, 1)}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </Panel>
    </div>
  );
}
