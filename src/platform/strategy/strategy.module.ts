import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { RuntimeSettingsService } from './runtime-settings.service';
import { StrategyRegistry } from './strategy-registry';
import { StrategySelectionService } from './strategy-selection.service';

@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [StrategyRegistry, StrategySelectionService, RuntimeSettingsService],
  exports: [StrategyRegistry, StrategySelectionService, RuntimeSettingsService],
})
export class StrategyModule {}
