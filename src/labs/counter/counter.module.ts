import { DynamicModule, Module } from '@nestjs/common';
import { LabWiring, NodeWiring, wireLab } from '../../platform/config/lab-wiring';
import { labDatabaseProvider } from '../../platform/database/database-pools.service';
import { CoordinatorService } from './application/coordinator.service';
import { GatewayService } from './application/gateway.service';
import { StrongCounterService } from './application/strong-counter.service';
import { LAB, Region } from './counter.config';
import { CounterMetrics, counterMetricProviders } from './counter.metrics';
import { CoordinatorController } from './nodes/coordinator/coordinator.controller';
import { GatewayController } from './nodes/gateway/gateway.controller';
import { createRegionController } from './nodes/region/region.controller';
import { CounterExperiment } from './application/counter.experiment';
import { CounterReset } from './application/counter.reset';
import { regionServiceProvider } from './nodes/region/region.providers';
import { StrongCounterController } from './nodes/strong/strong.controller';
import { RegionStateRepository } from './persistence/region-state.repository';
import { CrdtMergeGlobalViewStrategy } from './strategies/crdt-merge.global-view.strategy';
import { MaxOfTotalsGlobalViewStrategy } from './strategies/max-of-totals.global-view.strategy';
import { PostgresRowLockStrongCounterStrategy } from './strategies/postgres-row-lock.strong-counter.strategy';
import { RedisIncrStrongCounterStrategy } from './strategies/redis-incr.strong-counter.strategy';

/** One region node: its controller and its service (under the region's own token); the state repository the regions share. */
const regionNode = (region: Region): NodeWiring => ({
  controllers: [createRegionController(region)],
  providers: [RegionStateRepository, regionServiceProvider(region)],
});

/** Shared providers always (strategies included, so /admin/labs lists them); each node adds its controllers and stateful services. */
const COUNTER_WIRING: LabWiring<typeof LAB> = {
  lab: LAB,
  shared: [
    ...counterMetricProviders,
    CounterMetrics,
    labDatabaseProvider(LAB),
    PostgresRowLockStrongCounterStrategy,
    RedisIncrStrongCounterStrategy,
    CrdtMergeGlobalViewStrategy,
    MaxOfTotalsGlobalViewStrategy,
    CounterExperiment,
    CounterReset,
  ],
  nodes: {
    'us-east': regionNode('us-east'),
    'us-west': regionNode('us-west'),
    'eu-west': regionNode('eu-west'),
    coordinator: { controllers: [CoordinatorController], providers: [CoordinatorService] },
    gateway: { controllers: [GatewayController], providers: [GatewayService] },
    strong: { controllers: [StrongCounterController], providers: [StrongCounterService] },
  },
};

/**
 * The distributed counter lab: three CRDT regions, a coordinator, a gateway and a strong
 * counter. Only the nodes this process runs get controllers, services and sync loops; the rest
 * are reached over HTTP.
 */
@Module({})
export class CounterModule {
  static register(nodes: string[]): DynamicModule {
    return wireLab(CounterModule, COUNTER_WIRING, nodes);
  }
}
