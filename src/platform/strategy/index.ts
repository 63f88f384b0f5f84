export * from './lab-strategy.decorator';
export * from './runtime-settings.service';
export * from './strategy-registry';
export * from './strategy-selection.service';
export * from './strategy.module';
