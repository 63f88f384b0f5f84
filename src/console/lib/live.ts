import { useEffect, useState } from 'preact/hooks';

export type SourceRead =
  { ok: true; status: number; body: any } | { ok: false; status?: number; error: string; body?: any };

export interface NodeView {
  node: string;
  up: boolean;
  crashed: boolean;
  crashes: number;
  error?: string;
}

export interface StrategyPort {
  port: string;
  current: string;
  default: string;
  strategies: Array<{ key: string; description: string }>;
}

export interface LabSnapshot {
  lab: string;
  at: string;
  nodes: NodeView[];
  strategies: StrategyPort[];
  reads: Record<string, SourceRead>;
}

/** `absent`: the app answers, but does not run (one of) these labs (LABS). */
export type Connection = 'connecting' | 'live' | 'down' | 'absent';

export interface Live {
  connection: Connection;
  /** Last state per lab, kept while the app is away so the page shows what it last knew. */
  labs: Record<string, LabSnapshot>;
  /** When the connection was lost (ms since epoch), while it is down. */
  downSince?: number;
}

const RETRY_MS = [1000, 2000, 4000, 8000];

/**
 * The app's Server-Sent Events stream for some labs. The browser reconnects by itself after a
 * network error; when the server refused the stream (503, too many) we retry with a back-off.
 */
export function useLive(labs: string[]): Live {
  const key = labs.join(',');
  const [live, setLive] = useState<Live>({ connection: 'connecting', labs: {} });
  useEffect(() => {
    let source: EventSource | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    let stopped = false;
    const open = () => {
      source = new EventSource(`/admin/console/events${key ? `?labs=${key}` : ''}`);
      source.onopen = () => {
        attempt = 0;
        setLive((l) => ({ ...l, connection: 'live', downSince: undefined }));
      };
      source.addEventListener('state', (event) => {
        const snapshot = JSON.parse((event as MessageEvent<string>).data) as LabSnapshot;
        setLive((l) => ({ connection: 'live', labs: { ...l.labs, [snapshot.lab]: snapshot } }));
      });
      source.onerror = () => {
        setLive((l) => ({ ...l, connection: 'down', downSince: l.downSince ?? Date.now() }));
        if (source?.readyState === EventSource.CLOSED && !stopped) {
          source.close();
          const url = source.url;
          // Refused rather than unreachable: ask why once (404: a lab not run here; 503: too many streams).
          const probe = new AbortController();
          void fetch(url, { signal: probe.signal })
            .then((r) => {
              probe.abort();
              if (r.status === 404) setLive((l) => ({ ...l, connection: 'absent', downSince: undefined }));
            })
            .catch(() => undefined);
          retry = setTimeout(open, RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)]);
        }
      };
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(retry);
      source?.close();
    };
  }, [key]);
  return live;
}

export function read<T = any>(snapshot: LabSnapshot | undefined, key: string): T | undefined {
  const r = snapshot?.reads[key];
  return r && r.ok ? (r.body as T) : undefined;
}

export function readError(snapshot: LabSnapshot | undefined, key: string): string | undefined {
  const r = snapshot?.reads[key];
  return r && !r.ok ? r.error : undefined;
}

export function strategyPort(snapshot: LabSnapshot | undefined, port: string): StrategyPort | undefined {
  return snapshot?.strategies.find((p) => p.port === port);
}
