import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { createHash } from 'node:crypto';
import { AppConfig } from '../../../platform/config/app-config';
import { delay } from '../../../platform/faults/delay';
import { NodeClientService, NodeRef } from '../../../platform/http/node-client.service';
import { RuntimeSettingsService } from '../../../platform/strategy/runtime-settings.service';
import { COUNTER_DEFAULTS, LAB, REGIONS, Region, SYNC_SETTINGS, SyncSettings, isRegion } from '../counter.config';
import { throwIfRequestAbandoned } from '../../../platform/http/request-context';
import { upstreamError } from '../counter.errors';
import { CounterMetrics } from '../counter.metrics';
import { GCounter, gEquals } from '../crdt/g-counter';

const round2 = (n: number) => Math.round(n * 100) / 100;

export interface HealReport {
  region: string;
  healed_at: string;
  status: 'watching' | 'converged' | 'timed_out';
  converged_at: string | null;
  heal_to_convergence_ms: number | null;
}

interface CountersView {
  regions: Record<string, { network_partition: boolean; counters: Record<string, { nodes: GCounter }> }>;
  healthy_regions: number;
}

/**
 * The gateway (seed port 8080): routes increments to a region, reads through the coordinator,
 * compares eventual against strong consistency, and after a heal measures how long the regions
 * take to converge.
 */
@Injectable()
export class GatewayService implements OnModuleDestroy {
  private readonly logger = new Logger('counter:gateway');
  private readonly self: NodeRef = { lab: LAB, node: 'gateway' };
  private readonly coordinator: NodeRef = { lab: LAB, node: 'coordinator' };
  private roundRobin = 0;
  private lastHeal: (HealReport & { healedAtMs: number }) | null = null;
  private watching = false;
  private stopped = false;

  constructor(
    private readonly client: NodeClientService,
    private readonly config: AppConfig,
    private readonly settings: RuntimeSettingsService,
    private readonly metrics: CounterMetrics,
  ) {}

  onModuleDestroy(): void {
    this.stopped = true;
  }

  async increment(input: { counter_name: string; amount: number; routing: string; idempotency_key?: string }) {
    return this.measured('POST', '/api/increment', async () => {
      const region = this.route(input.routing, input.idempotency_key);
      const started = performance.now();
      const res = await this.client.call<Record<string, unknown>>(this.self, { lab: LAB, node: region }, '/increment', {
        method: 'POST',
        body: { counter_name: input.counter_name, amount: input.amount, idempotency_key: input.idempotency_key },
        timeoutMs: COUNTER_DEFAULTS.gatewayTimeoutMs,
      });
      if (!res.ok) throw upstreamError(region, res.status, res.body);
      const elapsed = performance.now() - started;
      this.metrics.gwRouted.inc({ region });
      this.metrics.gwComparison.observe({ consistency_type: 'eventual' }, elapsed / 1000);
      trace.getActiveSpan()?.setAttributes({
        'counter.name': input.counter_name,
        'counter.routing': input.routing,
        'counter.routed_to': region,
        'counter.local_count': Number(res.body.local_count),
      });
      return {
        ...res.body,
        routing: input.routing,
        routed_to_endpoint: new URL(this.config.nodeUrl(LAB, region)).host,
        latency_ms: round2(elapsed),
      };
    });
  }

  async counter(name: string) {
    return this.measured('GET', '/api/counter', async () => {
      const started = performance.now();
      const body = await this.fromCoordinator<Record<string, unknown>>(
        'GET',
        `/global/counter/${encodeURIComponent(name)}`,
      );
      return { ...body, gateway_latency_ms: round2(performance.now() - started) };
    });
  }

  counters() {
    return this.fromCoordinator('GET', '/global/counters');
  }

  status() {
    return this.fromCoordinator('GET', '/global/status');
  }

  async partition(region: string, enabled: boolean) {
    const body = await this.fromCoordinator(
      'POST',
      '/global/partition',
      { region, enabled },
      COUNTER_DEFAULTS.gatewayTimeoutMs,
    );
    if (!enabled) this.watchHeal(region);
    return body;
  }

  async partitionAll(enabled: boolean) {
    const body = await this.fromCoordinator(
      'POST',
      '/global/partition/all',
      undefined,
      COUNTER_DEFAULTS.gatewayTimeoutMs,
      { enabled },
    );
    if (!enabled) this.watchHeal('all');
    return body;
  }

  forceSync() {
    return this.fromCoordinator('POST', '/global/force-sync', {}, COUNTER_DEFAULTS.gatewayForceSyncTimeoutMs);
  }

  async convergence(name: string) {
    const check = await this.fromCoordinator<Record<string, unknown>>(
      'GET',
      `/global/convergence/${encodeURIComponent(name)}`,
    );
    return { ...check, last_heal: this.healReport() };
  }

  healReport(): HealReport | null {
    if (!this.lastHeal) return null;
    const { healedAtMs: _omit, ...report } = this.lastHeal;
    return report;
  }

  async syncSettings(): Promise<SyncSettings> {
    return this.settings.get<SyncSettings>(LAB, SYNC_SETTINGS, { interval_ms: COUNTER_DEFAULTS.syncIntervalMs });
  }

  async setSyncSettings(changes: SyncSettings): Promise<SyncSettings> {
    return this.settings.patch<SyncSettings>(
      LAB,
      SYNC_SETTINGS,
      { interval_ms: COUNTER_DEFAULTS.syncIntervalMs },
      changes,
    );
  }

  /**
   * Eventual: one increment on a random region (acknowledged locally, synced later).
   * Strong: one increment on the linearizable counter (8004), paying its coordination.
   * Timed here, sequentially, over keep-alive connections.
   */
  async compare(name: string, iterations: number) {
    const eventual: number[] = [];
    const strong: number[] = [];
    for (let i = 0; i < iterations; i += 1) {
      throwIfRequestAbandoned();
      const region = REGIONS[Math.floor(Math.random() * REGIONS.length)];
      eventual.push(await this.timedIncrement({ lab: LAB, node: region }, `${name}_eventual`, 'eventual'));
      strong.push(await this.timedIncrement({ lab: LAB, node: 'strong' }, `${name}_strong`, 'strong'));
    }
    const e = stats(eventual);
    const s = stats(strong);
    const speedup = e.avg_ms > 0 ? round2(s.avg_ms / e.avg_ms) : 0;
    return {
      iterations,
      eventual_consistency: {
        description: 'Write to one region (CRDT G-Counter), acknowledged at once; anti-entropy syncs the others later',
        ...e,
      },
      strong_consistency: {
        description: 'Write to the linearizable counter: lock, coordinate, commit before acknowledging',
        ...s,
      },
      speedup,
      conclusion:
        speedup > 0 ? `Eventual consistency is ~${speedup.toFixed(1)}x faster than strong consistency` : 'N/A',
    };
  }

  private async timedIncrement(to: NodeRef, counterName: string, type: 'eventual' | 'strong'): Promise<number> {
    const started = performance.now();
    const res = await this.client.call(this.self, to, '/increment', {
      method: 'POST',
      body: { counter_name: counterName, amount: 1 },
      timeoutMs: COUNTER_DEFAULTS.gatewayTimeoutMs,
    });
    if (!res.ok) throw upstreamError(to.node, res.status, res.body);
    const ms = performance.now() - started;
    this.metrics.gwComparison.observe({ consistency_type: type }, ms / 1000);
    return ms;
  }

  /** A keyed increment is pinned to one region (by a hash of the key), so its retries meet the same idempotency record. */
  private route(routing: string, idempotencyKey?: string): Region {
    if (isRegion(routing)) return routing;
    if (idempotencyKey)
      return REGIONS[createHash('sha1').update(idempotencyKey).digest().readUInt32BE(0) % REGIONS.length];
    if (routing === 'round-robin') return REGIONS[this.roundRobin++ % REGIONS.length];
    return REGIONS[Math.floor(Math.random() * REGIONS.length)];
  }

  private async fromCoordinator<T = unknown>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    timeoutMs: number = COUNTER_DEFAULTS.gatewayForceSyncTimeoutMs,
    query?: Record<string, boolean>,
  ): Promise<T> {
    const res = await this.client.call<T>(this.self, this.coordinator, path, { method, body, timeoutMs, query });
    if (!res.ok) throw upstreamError('coordinator', res.status, res.body);
    return res.body;
  }

  private async measured<T>(method: string, endpoint: string, fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await fn();
      this.metrics.gwRequests.inc({ method, endpoint, status: '200' });
      return result;
    } catch (err) {
      this.metrics.gwRequests.inc({ method, endpoint, status: 'error' });
      throw err;
    } finally {
      this.metrics.gwDuration.observe({ method, endpoint }, (performance.now() - started) / 1000);
    }
  }

  /** After a heal, poll until every region holds the same node maps, and record how long that took. */
  private watchHeal(region: string): void {
    const now = Date.now();
    this.lastHeal = {
      region,
      healed_at: new Date(now).toISOString(),
      healedAtMs: now,
      status: 'watching',
      converged_at: null,
      heal_to_convergence_ms: null,
    };
    if (this.watching) return;
    this.watching = true;
    void this.watchLoop().finally(() => (this.watching = false));
  }

  private async watchLoop(): Promise<void> {
    while (!this.stopped && this.lastHeal && this.lastHeal.status === 'watching') {
      const heal = this.lastHeal;
      if (Date.now() - heal.healedAtMs > COUNTER_DEFAULTS.convergenceWatchMs) {
        heal.status = 'timed_out';
        return;
      }
      try {
        const view = await this.fromCoordinator<CountersView>('GET', '/global/counters');
        if (this.lastHeal === heal && converged(view)) {
          const ms = Date.now() - heal.healedAtMs;
          Object.assign(heal, {
            status: 'converged',
            converged_at: new Date().toISOString(),
            heal_to_convergence_ms: ms,
          });
          this.metrics.healToConvergence.observe(ms / 1000);
          this.logger.log(`regions converged ${ms} ms after healing ${heal.region}`);
          return;
        }
      } catch {
        // the coordinator may be down for a moment; keep watching until the deadline
      }
      await delay(200);
    }
  }
}

function converged(view: CountersView): boolean {
  const regions = Object.values(view.regions);
  if (regions.length !== REGIONS.length || regions.some((r) => r.network_partition)) return false;
  const names = new Set(regions.flatMap((r) => Object.keys(r.counters)));
  return [...names].every((name) => {
    const maps = regions.map((r) => r.counters[name]?.nodes ?? {});
    return maps.every((m) => gEquals(m, maps[0]));
  });
}

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  return {
    avg_ms: round2(sorted.reduce((s, v) => s + v, 0) / n),
    min_ms: round2(sorted[0]),
    max_ms: round2(sorted[n - 1]),
    p50_ms: round2(sorted[Math.floor(n / 2)]),
    p99_ms: round2(sorted[Math.min(n - 1, Math.floor(n * 0.99))]),
  };
}
