import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { RuntimeSettingsService } from './runtime-settings.service';
import { SettingsBus } from './settings-bus.service';
import { StrategyRegistry } from './strategy-registry';
import { StrategySelectionService } from './strategy-selection.service';

@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [StrategyRegistry, StrategySelectionService, RuntimeSettingsService, SettingsBus],
  exports: [StrategyRegistry, StrategySelectionService, RuntimeSettingsService, SettingsBus],
})
export class StrategyModule {}
