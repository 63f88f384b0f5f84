import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { adminToken, ApiError, clearReadRefusal, onReadRefusal, readRefusal, setAdminToken } from './api';
import type { Connection, LabSnapshot } from './live';
import { applyTheme, storedTheme, ThemeChoice } from './theme';

export const LABS = ['booking', 'bank', 'orders', 'counter', 'replication'] as const;
export type LabPage = (typeof LABS)[number];

export function navigate(path: string): void {
  if (location.pathname === path) return;
  history.pushState(null, '', path);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function Link(props: { href: string; children: ComponentChildren; class?: string; current?: boolean }) {
  return (
    <a
      href={props.href}
      class={props.class}
      aria-current={props.current ? 'page' : undefined}
      onClick={(e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(props.href);
      }}
    >
      {props.children}
    </a>
  );
}

const THEME_NEXT: Record<ThemeChoice, ThemeChoice> = { auto: 'light', light: 'dark', dark: 'auto' };

export function ThemeToggle() {
  const [choice, setChoice] = useState<ThemeChoice>(storedTheme());
  useEffect(() => applyTheme(choice), [choice]);
  return (
    <button
      type="button"
      class="ghost"
      onClick={() => setChoice(THEME_NEXT[choice])}
      aria-label={`Theme: ${choice}; change theme`}
    >
      {choice === 'dark' ? '☾ dark' : choice === 'light' ? '☀ light' : '◐ auto'}
    </button>
  );
}

/** For an app started with ADMIN_TOKEN (required off loopback): its admin writes need the token. */
function TokenButton() {
  const [set, setSet] = useState(adminToken() !== undefined);
  return (
    <button
      type="button"
      class="ghost"
      aria-label={set ? 'Admin token set; change or clear it' : 'Enter the admin token'}
      onClick={() => {
        const token = prompt('ADMIN_TOKEN of this app (empty to clear):', '');
        if (token === null) return;
        setAdminToken(token.trim() || undefined);
        setSet(token.trim() !== '');
        clearReadRefusal();
      }}
    >
      {set ? '🔑 token set' : '🔑 admin token'}
    </button>
  );
}

/** The app's last refusal of a console "read now", while it stands. */
function useReadRefusal(): string | undefined {
  const [why, setWhy] = useState(readRefusal());
  useEffect(() => onReadRefusal(setWhy), []);
  return why;
}

export function Layout(props: {
  current: string;
  connection?: Connection;
  downSince?: number;
  children: ComponentChildren;
}) {
  const refused = useReadRefusal();
  return (
    <div class="shell">
      <header class="top">
        <Link href="/console" class="brand">
          Distributed Systems Labs
        </Link>
        <nav aria-label="Pages">
          {LABS.map((lab) => (
            <Link key={lab} href={`/console/${lab}`} current={props.current === lab}>
              {lab}
            </Link>
          ))}
          <Link href="/console/experiments" current={props.current === 'experiments'}>
            experiments
          </Link>
        </nav>
        <div class="top-right">
          {props.connection && <ConnectionPill connection={props.connection} />}
          <TokenButton />
          <ThemeToggle />
        </div>
      </header>
      {props.connection === 'down' && (
        <div class="banner bad" role="alert" data-testid="app-down">
          ✕ The app is not answering{props.downSince ? ` since ${new Date(props.downSince).toLocaleTimeString()}` : ''}{' '}
          — reconnecting by itself; the figures below are the last ones received.
        </div>
      )}
      {props.connection === 'absent' && (
        <div class="banner warn" role="status" data-testid="lab-absent">
          ! This app does not run this lab (see LABS); start it with LABS=all, or open a lab it runs.
        </div>
      )}
      {refused && (
        <div class="banner warn" role="alert" data-testid="read-refused">
          ! {refused}
        </div>
      )}
      <main>{props.children}</main>
    </div>
  );
}

function ConnectionPill({ connection }: { connection: Connection }) {
  const text = { live: '● live', connecting: '… connecting', down: '✕ app down', absent: '! not running here' }[
    connection
  ];
  return (
    <span
      class={`pill ${connection === 'live' ? 'ok' : connection === 'down' ? 'bad' : 'warn'}`}
      data-testid="connection"
      data-state={connection}
    >
      {text}
    </span>
  );
}

export type Tone = 'ok' | 'bad' | 'warn' | 'info' | 'muted';
const ICON: Record<Tone, string> = { ok: '✓', bad: '✕', warn: '!', info: 'i', muted: '·' };

/** A status word with an icon: colour is never the only signal. */
export function Badge(props: { tone: Tone; children: ComponentChildren; testid?: string; title?: string }) {
  return (
    <span class={`badge ${props.tone}`} data-testid={props.testid} title={props.title}>
      <span aria-hidden="true">{ICON[props.tone]}</span> {props.children}
    </span>
  );
}

export function Panel(props: {
  title: string;
  children: ComponentChildren;
  class?: string;
  testid?: string;
  actions?: ComponentChildren;
}) {
  return (
    <section class={`panel ${props.class ?? ''}`} data-testid={props.testid} aria-label={props.title}>
      <div class="panel-head">
        <h2>{props.title}</h2>
        {props.actions && <div class="panel-actions">{props.actions}</div>}
      </div>
      {props.children}
    </section>
  );
}

export function Stat(props: { label: string; value: ComponentChildren; tone?: Tone; testid?: string; hint?: string }) {
  return (
    <div class={`stat ${props.tone ?? ''}`} data-testid={props.testid} title={props.hint}>
      <div class="stat-value">{props.value}</div>
      <div class="stat-label">{props.label}</div>
    </div>
  );
}

export function Toggle(props: {
  label: string;
  checked: boolean;
  onChange: (v: boolean) => void;
  disabled?: boolean;
  testid?: string;
}) {
  return (
    <label class="toggle">
      <input
        type="checkbox"
        role="switch"
        checked={props.checked}
        disabled={props.disabled}
        data-testid={props.testid}
        onChange={(e) => props.onChange((e.currentTarget as HTMLInputElement).checked)}
      />
      <span>{props.label}</span>
      <span class="toggle-state">{props.checked ? 'on' : 'off'}</span>
    </label>
  );
}

/** A radio group of a port's strategies, with each one's description. */
export function StrategyPicker(props: {
  name: string;
  label: string;
  options: Array<{ key: string; description?: string; unsafe?: boolean }>;
  current?: string;
  onSelect: (key: string) => void;
  disabled?: boolean;
}) {
  return (
    <fieldset class="strategies" disabled={props.disabled}>
      <legend>{props.label}</legend>
      {props.options.map((o) => (
        <label key={o.key} class={`strategy ${props.current === o.key ? 'selected' : ''}`}>
          <input
            type="radio"
            name={props.name}
            value={o.key}
            checked={props.current === o.key}
            onChange={() => props.onSelect(o.key)}
            data-testid={`strategy-${o.key}`}
          />
          <span class="strategy-key">
            {o.key}
            {o.unsafe ? <span class="tag bad">unsafe</span> : null}
          </span>
          {o.description && <span class="strategy-desc">{o.description}</span>}
        </label>
      ))}
    </fieldset>
  );
}

export function NodeStrip({ snapshot }: { snapshot?: LabSnapshot }) {
  if (!snapshot) return <p class="muted">waiting for the first state…</p>;
  return (
    <ul class="nodes" aria-label="Nodes">
      {snapshot.nodes.map((n) => (
        <li key={n.node} data-testid={`node-${n.node}`} data-up={String(n.up)}>
          <Badge tone={n.up ? 'ok' : 'bad'} title={n.error}>
            {n.node} {n.up ? 'up' : n.crashed ? 'down (crashed)' : 'unreachable'}
          </Badge>
        </li>
      ))}
    </ul>
  );
}

/** Runs page actions one at a time and keeps their last outcome for the message line. */
export function useActions() {
  const [busy, setBusy] = useState<string | undefined>();
  const [message, setMessage] = useState<{ tone: Tone; text: string } | undefined>();
  const run = (name: string, fn: () => Promise<string | void>): void => {
    if (busy) return;
    setBusy(name);
    setMessage(undefined);
    fn()
      .then((text) => setMessage(text ? { tone: 'info', text } : undefined))
      .catch((err: unknown) =>
        setMessage({ tone: 'bad', text: err instanceof ApiError || err instanceof Error ? err.message : String(err) }),
      )
      .finally(() => setBusy(undefined));
  };
  return { busy, message, run, setMessage };
}

export function Message({ message }: { message?: { tone: Tone; text: string } }) {
  return (
    <p class={`message ${message?.tone ?? ''}`} role="status" aria-live="polite" data-testid="message">
      {message ? message.text : ''}
    </p>
  );
}

export function ActionButton(props: {
  label: string;
  busy?: string;
  name?: string;
  onClick: () => void;
  primary?: boolean;
  testid?: string;
  disabled?: boolean;
}) {
  const mine = props.busy !== undefined && props.busy === (props.name ?? props.label);
  return (
    <button
      type="button"
      class={props.primary ? 'primary' : ''}
      disabled={props.disabled || props.busy !== undefined}
      aria-busy={mine}
      data-testid={props.testid}
      onClick={props.onClick}
    >
      {mine ? `${props.label}…` : props.label}
    </button>
  );
}

export const fmt = (n: unknown, digits = 0) =>
  typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits }) : '—';
