import { Provider } from '@nestjs/common';
import { AppConfig } from '../../../../platform/config/app-config';
import { NetworkFaultsService } from '../../../../platform/faults/network-faults.service';
import { NodeLifecycleService } from '../../../../platform/faults/node-lifecycle.service';
import { NodeClientService } from '../../../../platform/http/node-client.service';
import { RuntimeSettingsService } from '../../../../platform/strategy/runtime-settings.service';
import { RegionCounterService, regionServiceToken } from '../../application/region-counter.service';
import { Region } from '../../counter.config';
import { CounterMetrics } from '../../counter.metrics';
import { RegionStateRepository } from '../../persistence/region-state.repository';

export function regionServiceProvider(region: Region): Provider {
  return {
    provide: regionServiceToken(region),
    inject: [
      RegionStateRepository,
      NodeClientService,
      NetworkFaultsService,
      RuntimeSettingsService,
      NodeLifecycleService,
      CounterMetrics,
      AppConfig,
    ],
    useFactory: (
      repo: RegionStateRepository,
      client: NodeClientService,
      faults: NetworkFaultsService,
      settings: RuntimeSettingsService,
      lifecycle: NodeLifecycleService,
      metrics: CounterMetrics,
      config: AppConfig,
    ) => new RegionCounterService(region, repo, client, faults, settings, lifecycle, metrics, config),
  };
}
