import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { LabName } from '../config/lab-plan';
import { NodeLifecycleService } from '../faults/node-lifecycle.service';
import { StrategyRegistry } from '../strategy/strategy-registry';
import { StrategySelectionService } from '../strategy/strategy-selection.service';
import { CONSOLE_SOURCES } from './console-sources';

export type SourceRead =
  { ok: true; status: number; body: unknown } | { ok: false; status?: number; error: string; body?: unknown };

export interface NodeView {
  node: string;
  /** Answered its reads (a crashed node's port is closed; a remote one may be unreachable). */
  up: boolean;
  /** What the node lifecycle says, for nodes this process runs. */
  crashed: boolean;
  crashes: number;
  error?: string;
}

export interface LabSnapshot {
  lab: LabName;
  at: string;
  nodes: NodeView[];
  strategies: Array<{
    port: string;
    current: string;
    default: string;
    strategies: Array<{ key: string; description: string }>;
  }>;
  reads: Record<string, SourceRead>;
}

type Listener = (snapshot: LabSnapshot) => void;

/** Server-side tick: modest, shared by every client watching a lab, and only while someone watches. */
export const CONSOLE_TICK_MS = 1000;
const READ_TIMEOUT_MS = 1500;
const MAX_BODY_BYTES = 512 * 1024;

interface Poller {
  listeners: Set<Listener>;
  timer?: NodeJS.Timeout;
  running: boolean;
  again: boolean;
  last?: LabSnapshot;
  signature?: string;
}

/**
 * Reads each watched lab's state through its own HTTP endpoints on a tick and hands it to the
 * listeners when it changed. One poller per lab however many browsers watch it.
 */
@Injectable()
export class ConsoleStateService implements OnModuleDestroy {
  private readonly pollers = new Map<LabName, Poller>();
  private closed = false;

  constructor(
    private readonly config: AppConfig,
    private readonly lifecycle: NodeLifecycleService,
    private readonly registry: StrategyRegistry,
    private readonly selection: StrategySelectionService,
  ) {}

  subscribe(lab: LabName, listener: Listener): () => void {
    let poller = this.pollers.get(lab);
    if (!poller) {
      poller = { listeners: new Set(), running: false, again: false };
      this.pollers.set(lab, poller);
    }
    poller.listeners.add(listener);
    if (poller.last) listener(poller.last);
    if (!poller.timer && !this.closed) {
      const p = poller;
      p.timer = setInterval(() => this.tick(lab, p), CONSOLE_TICK_MS);
      this.tick(lab, p);
    }
    return () => {
      const p = this.pollers.get(lab);
      if (!p) return;
      p.listeners.delete(listener);
      if (p.listeners.size === 0) {
        clearInterval(p.timer);
        this.pollers.delete(lab);
      }
    };
  }

  /** Read now instead of at the next tick (after a control changed something). */
  refresh(lab: LabName): void {
    const poller = this.pollers.get(lab);
    if (poller) this.tick(lab, poller);
  }

  onModuleDestroy(): void {
    this.closed = true;
    for (const poller of this.pollers.values()) clearInterval(poller.timer);
    this.pollers.clear();
  }

  async snapshot(lab: LabName): Promise<LabSnapshot> {
    const sources = CONSOLE_SOURCES[lab];
    const [reads, strategies] = await Promise.all([
      Promise.all(sources.map(async (s) => [s.key, await this.read(lab, s.node, s.path)] as const)),
      this.strategies(lab),
    ]);
    const byKey = Object.fromEntries(reads);
    const nodes = [...new Set(sources.map((s) => s.node))].map((node): NodeView => {
      const state = this.config.isSelected(lab, node) ? this.lifecycle.state(lab, node) : { up: true, crashes: 0 };
      const failed = sources
        .filter((s) => s.node === node)
        .map((s) => byKey[s.key])
        .find((r) => !r.ok && r.status === undefined);
      return {
        node,
        up: state.up && !failed,
        crashed: !state.up,
        crashes: state.crashes,
        ...(failed && !failed.ok ? { error: failed.error } : {}),
      };
    });
    return { lab, at: new Date().toISOString(), nodes, strategies, reads: byKey };
  }

  private tick(lab: LabName, poller: Poller): void {
    if (poller.running) {
      poller.again = true;
      return;
    }
    poller.running = true;
    void this.snapshot(lab)
      .then((snapshot) => {
        const signature = JSON.stringify({ ...snapshot, at: undefined });
        if (signature === poller.signature) return;
        poller.signature = signature;
        poller.last = snapshot;
        for (const listener of poller.listeners) listener(snapshot);
      })
      .catch(() => undefined)
      .finally(() => {
        poller.running = false;
        if (poller.again && !this.closed && this.pollers.get(lab) === poller) {
          poller.again = false;
          this.tick(lab, poller);
        }
      });
  }

  private async strategies(lab: LabName): Promise<LabSnapshot['strategies']> {
    const ports = this.registry.all().filter((p) => p.lab === lab);
    return Promise.all(
      ports.map(async (p) => ({
        port: p.port,
        current: await this.selection.current(p.lab, p.port).catch(() => p.defaultKey),
        default: p.defaultKey,
        strategies: [...p.strategies.values()].map((s) => ({ key: s.meta.key, description: s.meta.description ?? '' })),
      })),
    );
  }

  private async read(lab: LabName, node: string, path: string): Promise<SourceRead> {
    try {
      const response = await fetch(`${this.config.nodeUrl(lab, node)}${path}`, {
        signal: AbortSignal.timeout(READ_TIMEOUT_MS),
        headers: { accept: 'application/json' },
      });
      const text = await response.text();
      if (text.length > MAX_BODY_BYTES)
        return { ok: false, status: response.status, error: `answer larger than ${MAX_BODY_BYTES} bytes` };
      let body: unknown = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        return { ok: false, status: response.status, error: 'answer is not JSON' };
      }
      if (!response.ok) {
        const message = (body as { message?: unknown } | null)?.message;
        return {
          ok: false,
          status: response.status,
          error: typeof message === 'string' ? message : `HTTP ${response.status}`,
          body,
        };
      }
      return { ok: true, status: response.status, body };
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      const name = err instanceof Error ? err.name : '';
      return {
        ok: false,
        error: name === 'TimeoutError' ? `no answer within ${READ_TIMEOUT_MS} ms` : (cause ?? String(err)),
      };
    }
  }
}
