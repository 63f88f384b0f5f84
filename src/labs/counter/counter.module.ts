import { DynamicModule, Module, Provider, Type } from '@nestjs/common';
import { labDatabaseProvider } from '../../platform/database/database-pools.service';
import { CoordinatorService } from './application/coordinator.service';
import { GatewayService } from './application/gateway.service';
import { StrongCounterService } from './application/strong-counter.service';
import { LAB, REGIONS, isRegion } from './counter.config';
import { CounterMetrics, counterMetricProviders } from './counter.metrics';
import { CoordinatorController } from './nodes/coordinator/coordinator.controller';
import { GatewayController } from './nodes/gateway/gateway.controller';
import { createRegionController } from './nodes/region/region.controller';
import { CounterExperiment } from './application/counter.experiment';
import { CounterReset } from './counter.reset';
import { regionServiceProvider } from './nodes/region/region.providers';
import { StrongCounterController } from './nodes/strong/strong.controller';
import { RegionStateRepository } from './persistence/region-state.repository';
import { CrdtMergeGlobalViewStrategy } from './strategies/crdt-merge.global-view.strategy';
import { MaxOfTotalsGlobalViewStrategy } from './strategies/max-of-totals.global-view.strategy';
import { PostgresRowLockStrongCounterStrategy } from './strategies/postgres-row-lock.strong-counter.strategy';
import { RedisIncrStrongCounterStrategy } from './strategies/redis-incr.strong-counter.strategy';

/**
 * The distributed counter lab: three CRDT regions, a coordinator, a gateway and a strong
 * counter. Only the nodes this process runs get controllers, services and sync loops; the rest
 * are reached over HTTP. Strategies are always registered so /admin/labs lists them.
 */
@Module({})
export class CounterModule {
  static register(nodes: string[]): DynamicModule {
    const controllers: Type<unknown>[] = [];
    const providers: Provider[] = [
      ...counterMetricProviders,
      CounterMetrics,
      labDatabaseProvider(LAB),
      PostgresRowLockStrongCounterStrategy,
      RedisIncrStrongCounterStrategy,
      CrdtMergeGlobalViewStrategy,
      MaxOfTotalsGlobalViewStrategy,
      CounterExperiment,
      CounterReset,
    ];
    const regions = REGIONS.filter((r) => nodes.includes(r));
    if (regions.length > 0) providers.push(RegionStateRepository);
    for (const region of regions) {
      controllers.push(createRegionController(region));
      providers.push(regionServiceProvider(region));
    }
    if (nodes.includes('coordinator')) {
      controllers.push(CoordinatorController);
      providers.push(CoordinatorService);
    }
    if (nodes.includes('gateway')) {
      controllers.push(GatewayController);
      providers.push(GatewayService);
    }
    if (nodes.includes('strong')) {
      controllers.push(StrongCounterController);
      providers.push(StrongCounterService);
    }
    for (const node of nodes) if (!isRegion(node) && !['coordinator', 'gateway', 'strong'].includes(node)) throw new Error(`unknown counter node ${node}`);
    return { module: CounterModule, controllers, providers };
  }
}
