import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { NodePortsService } from '../http/node-ports.service';
import { tellSupervisor } from '../processes/process-messages';

type Hook = () => Promise<void> | void;

export interface NodeState {
  up: boolean;
  crashes: number;
  lastCrashAt?: string;
  lastCrashPoint?: string;
  restartAt?: string;
}

/**
 * Crash and restart of a node, as a container would die and be restarted by its restart policy:
 * the node's port closes, its `onCrash` hooks tear down what the process held (consumers,
 * in-memory state), and after `restartAfterMs` (or on demand) the port reopens and `onRestart`
 * hooks rebuild. While down, the node's routes on the main port answer 503 too.
 */
@Injectable()
export class NodeLifecycleService implements OnApplicationShutdown {
  private readonly logger = new Logger('NodeLifecycle');
  private readonly crashHooks = new Map<string, Hook[]>();
  private readonly restartHooks = new Map<string, Hook[]>();
  private readonly states = new Map<string, NodeState>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly ports: NodePortsService,
    private readonly config: AppConfig,
  ) {}

  onCrash(lab: string, node: string, hook: Hook): void {
    push(this.crashHooks, `${lab}:${node}`, hook);
  }

  onRestart(lab: string, node: string, hook: Hook): void {
    push(this.restartHooks, `${lab}:${node}`, hook);
  }

  state(lab: string, node: string): NodeState {
    return { ...(this.states.get(`${lab}:${node}`) ?? { up: true, crashes: 0 }) };
  }

  isDown(lab: string, node: string): boolean {
    return this.states.get(`${lab}:${node}`)?.up === false;
  }

  /**
   * Takes the node down now; it restarts by itself after `restartAfterMs` unless that is null.
   * Under the supervisor (LAB_PROCESSES=1) the process really dies: SIGKILL to itself, no crash
   * hook, no flush, no shutdown hook; the supervisor starts a new process after `restartAfterMs`.
   * `persisted` is what the restart policy needs stored first (a one-shot crash point's reset),
   * awaited at most 1 s — nothing else of the process runs on purpose in that time.
   */
  async crash(
    lab: string,
    node: string,
    point: string,
    restartAfterMs: number | null,
    persisted?: Promise<unknown>,
  ): Promise<NodeState> {
    const id = `${lab}:${node}`;
    const previous = this.state(lab, node);
    if (!previous.up) return previous;
    if (this.config.isSupervised) {
      this.states.set(id, { ...previous, up: false, lastCrashPoint: point });
      this.logger.warn(`${id} crashed at ${point}: SIGKILL to process ${process.pid}`);
      void Promise.race([persisted, new Promise((resolve) => setTimeout(resolve, 1000))]).finally(() =>
        tellSupervisor({ type: 'crash', point, restartAfterMs }, () => process.kill(process.pid, 'SIGKILL')),
      );
      // Should the channel never answer, die anyway.
      setTimeout(() => process.kill(process.pid, 'SIGKILL'), 1500).unref();
      return this.state(lab, node);
    }
    const state: NodeState = {
      up: false,
      crashes: previous.crashes + 1,
      lastCrashAt: new Date().toISOString(),
      lastCrashPoint: point,
      restartAt: restartAfterMs === null ? undefined : new Date(Date.now() + restartAfterMs).toISOString(),
    };
    this.states.set(id, state);
    this.logger.warn(
      `${id} crashed at ${point}${restartAfterMs === null ? '' : `; restarting in ${restartAfterMs} ms`}`,
    );
    await this.ports.close(lab, node);
    for (const hook of this.crashHooks.get(id) ?? []) await runSafely(hook, this.logger, `${id} crash hook`);
    if (restartAfterMs !== null) {
      this.timers.set(
        id,
        setTimeout(() => void this.restart(lab, node), restartAfterMs),
      );
    }
    return { ...state };
  }

  async restart(lab: string, node: string): Promise<NodeState> {
    const id = `${lab}:${node}`;
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    const state = this.state(lab, node);
    if (state.up) return state;
    for (const hook of this.restartHooks.get(id) ?? []) await runSafely(hook, this.logger, `${id} restart hook`);
    await this.ports.open(lab, node);
    const next: NodeState = { ...state, up: true, restartAt: undefined };
    this.states.set(id, next);
    this.logger.log(`${id} restarted`);
    return { ...next };
  }

  onApplicationShutdown(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
  }
}

function push(map: Map<string, Hook[]>, key: string, hook: Hook): void {
  map.set(key, [...(map.get(key) ?? []), hook]);
}

async function runSafely(hook: Hook, logger: Logger, what: string): Promise<void> {
  try {
    await hook();
  } catch (err) {
    logger.error(`${what} failed: ${(err as Error).message}`);
  }
}
