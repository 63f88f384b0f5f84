import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ExperimentsController } from './api/experiments.controller';
import { ExperimentRegistry } from './experiment-registry';
import { ExperimentRunnerService } from './experiment-runner.service';
import { experimentMetricProviders } from './experiments.metrics';
import { ExperimentRepository } from './persistence/experiment.repository';

/** The experiments platform: registry of the labs' experiments, runner, recording, API. */
@Global()
@Module({
  imports: [DiscoveryModule],
  controllers: [ExperimentsController],
  providers: [...experimentMetricProviders, ExperimentRegistry, ExperimentRepository, ExperimentRunnerService],
  exports: [ExperimentRegistry, ExperimentRunnerService],
})
export class ExperimentsModule {}
