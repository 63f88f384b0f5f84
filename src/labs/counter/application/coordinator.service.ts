import { Injectable } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { NodeClientService, NodeRef, NodeResponse } from '../../../platform/http/node-client.service';
import { StrategySelectionService } from '../../../platform/strategy/strategy-selection.service';
import { COUNTER_DEFAULTS, LAB, REGIONS, Region, isRegion, nodeIdOf } from '../counter.config';
import { CounterErrorCode, CounterException, upstreamError } from '../counter.errors';
import { CounterMetrics } from '../counter.metrics';
import { checkConvergence } from '../crdt/convergence';
import { GCounter, gEquals } from '../crdt/g-counter';
import { GLOBAL_VIEW_PORT, GlobalViewPort, RegionView } from '../strategies/global-view.port';

interface RegionCounterBody {
  counter: string;
  local_count: number;
  total_count: number;
  nodes: GCounter;
  region: string;
  node_id: string;
}

interface RegionCountersBody {
  region: string;
  node_id: string;
  network_partition: boolean;
  last_sync_time: number | null;
  counters: Record<string, { local_count: number; total_count: number; nodes: GCounter }>;
}

type Answer<T> = { region: Region; res: NodeResponse<T> } | { region: Region; error: Error };

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * The coordinator (seed port 8000): reads every region in parallel and fans admin calls out to
 * them over HTTP. It takes no part in anti-entropy; the regions converge on their own.
 */
@Injectable()
export class CoordinatorService {
  private readonly self: NodeRef = { lab: LAB, node: 'coordinator' };

  constructor(
    private readonly client: NodeClientService,
    private readonly selection: StrategySelectionService,
    private readonly metrics: CounterMetrics,
  ) {}

  async globalCounter(name: string) {
    const started = performance.now();
    const answers = await this.fanOut<RegionCounterBody>('GET', `/counter/${encodeURIComponent(name)}`);
    const regions: Record<string, RegionView & { local_count: number }> = {};
    for (const a of answers) {
      if ('res' in a && a.res.ok) {
        const b = a.res.body;
        regions[b.region] = { local_count: b.local_count, total_count: b.total_count, nodes: b.nodes };
      }
    }
    const { key, strategy } = await this.selection.resolve<GlobalViewPort>(LAB, GLOBAL_VIEW_PORT);
    const totals = Object.values(regions).map((r) => r.total_count);
    const maxCount = totals.length ? Math.max(...totals) : 0;
    const minCount = totals.length ? Math.min(...totals) : 0;
    const healthy = Object.keys(regions).length;
    const maps = Object.values(regions).map((r) => r.nodes);
    const converged = healthy === REGIONS.length && maps.every((m) => gEquals(m, maps[0]));
    const globalCount = strategy.globalCount(regions);
    const elapsed = performance.now() - started;

    this.metrics.coordHealthy.set(healthy);
    if (this.metrics.counterNames.admits(name)) {
      this.metrics.coordGlobal.set({ counter_name: name, strategy: key }, globalCount);
      this.metrics.coordLag.set({ counter_name: name }, maxCount - minCount);
      for (const [region, view] of Object.entries(regions))
        this.metrics.coordRegion.set({ counter_name: name, region }, view.total_count);
    }
    this.metrics.coordLatency.observe({ operation: 'get_global_counter' }, elapsed / 1000);
    trace.getActiveSpan()?.setAttributes({
      'counter.name': name,
      'counter.global_count': globalCount,
      'counter.converged': converged,
      'counter.convergence_lag': maxCount - minCount,
    });
    return {
      counter: name,
      global_count: globalCount,
      global_view: key,
      regions,
      convergence: { converged, lag: maxCount - minCount, max_count: maxCount, min_count: minCount },
      healthy_regions: healthy,
      total_regions: REGIONS.length,
      query_time_ms: round2(elapsed),
    };
  }

  async globalCounters() {
    const started = performance.now();
    const answers = await this.fanOut<RegionCountersBody>('GET', '/counters');
    const regions: Record<string, RegionCountersBody> = {};
    for (const a of answers) if ('res' in a && a.res.ok) regions[a.res.body.region] = a.res.body;
    const names = new Set<string>();
    for (const r of Object.values(regions)) for (const n of Object.keys(r.counters)) names.add(n);
    const elapsed = performance.now() - started;
    this.metrics.coordLatency.observe({ operation: 'get_all_counters' }, elapsed / 1000);
    return {
      regions,
      counter_names: [...names].sort(),
      healthy_regions: Object.keys(regions).length,
      total_regions: REGIONS.length,
      query_time_ms: round2(elapsed),
    };
  }

  async globalStatus() {
    const answers = await this.fanOut<{ network_partition: boolean; node_id: string; region: string }>(
      'GET',
      '/admin/partition',
    );
    const regions: Record<string, { status: string; node_id?: string; network_partition?: boolean }> = {};
    let healthy = 0;
    let partitioned = 0;
    for (const a of answers) {
      if ('res' in a && a.res.ok) {
        healthy += 1;
        if (a.res.body.network_partition) partitioned += 1;
        regions[a.region] = {
          status: 'healthy',
          node_id: a.res.body.node_id,
          network_partition: a.res.body.network_partition,
        };
      } else {
        regions[a.region] = { status: 'unhealthy' };
      }
    }
    return { regions, healthy_count: healthy, partitioned_count: partitioned };
  }

  async partition(region: string, enabled: boolean) {
    if (!isRegion(region)) {
      throw new CounterException(CounterErrorCode.UNKNOWN_REGION, `Region ${region} not found`, 'not_found', {
        regions: REGIONS,
      });
    }
    const res = await this.client.call<{ network_partition: boolean }>(
      this.self,
      { lab: LAB, node: region },
      '/admin/partition',
      {
        method: 'POST',
        body: { enabled },
        timeoutMs: COUNTER_DEFAULTS.coordinatorTimeoutMs,
      },
    );
    if (!res.ok) throw upstreamError(region, res.status, res.body);
    trace.getActiveSpan()?.setAttributes({ 'partition.region': region, 'partition.enabled': enabled });
    return { status: 'success', region, network_partition: res.body.network_partition };
  }

  async partitionAll(enabled: boolean) {
    const answers = await this.fanOut('POST', '/admin/partition', { enabled });
    const updated = answers.filter((a) => 'res' in a && a.res.ok).length;
    return { status: 'success', partition_enabled: enabled, regions_updated: updated };
  }

  async forceSync() {
    const answers = await this.fanOut<{ peers_failed?: string[] }>('POST', '/admin/force-sync', {});
    const regions = Object.fromEntries(answers.map((a) => [a.region, forceSyncOutcome(a)]));
    return {
      status: 'sync_initiated',
      regions_synced: answers.filter((a) => 'res' in a && a.res.ok).length,
      regions,
    };
  }

  /**
   * The convergence checker on live data: each region's own entry is what it acknowledged to its
   * clients; every region must hold exactly those entries once healed and synced.
   */
  async convergence(name: string) {
    const answers = await this.fanOut<RegionCounterBody>('GET', `/counter/${encodeURIComponent(name)}`);
    const replicas: Record<string, GCounter> = {};
    const acknowledged: Record<string, number> = {};
    const unreachable: string[] = [];
    for (const a of answers) {
      if ('res' in a && a.res.ok) {
        replicas[a.region] = a.res.body.nodes;
        acknowledged[nodeIdOf(a.region)] = a.res.body.local_count;
      } else {
        unreachable.push(a.region);
      }
    }
    const verdict = checkConvergence(acknowledged, replicas);
    return {
      counter: name,
      acknowledged_total: Object.values(acknowledged).reduce((s, n) => s + n, 0),
      acknowledged,
      ...verdict,
      ok: verdict.ok && unreachable.length === 0,
      unreachable_regions: unreachable,
    };
  }

  private fanOut<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer<T>[]> {
    return Promise.all(
      REGIONS.map(async (region): Promise<Answer<T>> => {
        try {
          const res = await this.client.call<T>(this.self, { lab: LAB, node: region }, path, {
            method,
            body,
            timeoutMs: COUNTER_DEFAULTS.coordinatorTimeoutMs,
          });
          return { region, res };
        } catch (error) {
          return { region, error: error as Error };
        }
      }),
    );
  }
}

/** `synced` only when the region exchanged state with every peer; `partial` names the peers it missed. */
function forceSyncOutcome(a: Answer<{ peers_failed?: string[] }>): string {
  if (!('res' in a)) return 'unreachable';
  if (a.res.status === 503) return 'partitioned';
  if (!a.res.ok) return `error ${a.res.status}`;
  const failed = a.res.body.peers_failed ?? [];
  return failed.length === 0 ? 'synced' : `partial (no exchange with ${failed.join(', ')})`;
}
