export * from './lab-strategy.decorator';
export * from './runtime-settings.service';
export * from './settings-bus.service';
export { SETTINGS_CHANGED, type SettingsChangedEvent } from './settings-events';
export * from './strategy-registry';
export * from './strategy-selection.service';
export * from './strategy.module';
