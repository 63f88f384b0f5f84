import { DynamicModule, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { LAB_MODULES } from './labs';
import { AppConfig } from './platform/config/app-config';
import { ConfigModule } from './platform/config/config.module';
import { ConsoleModule } from './platform/console/console.module';
import { DatabaseModule } from './platform/database/database.module';
import { ExperimentsModule } from './platform/experiments/experiments.module';
import { FaultsModule } from './platform/faults/faults.module';
import { HealthModule } from './platform/health/health.module';
import { KafkaModule } from './platform/kafka/kafka.module';
import { ObservabilityModule } from './platform/observability/observability.module';
import { RedisModule } from './platform/redis/redis.module';
import { ResetModule } from './platform/reset/reset.module';
import { StrategyModule } from './platform/strategy/strategy.module';

/** The platform plus the labs selected by LABS, each given the nodes it should run. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        EventEmitterModule.forRoot(),
        ObservabilityModule,
        DatabaseModule,
        RedisModule,
        KafkaModule,
        StrategyModule,
        FaultsModule,
        HealthModule,
        ResetModule,
        ExperimentsModule,
        ConsoleModule,
        ...[...config.labs.entries()].map(([lab, nodes]) => LAB_MODULES[lab](nodes)),
      ],
    };
  }
}
