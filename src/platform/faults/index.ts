export * from './barrier';
export * from './shared-barrier';
export * from './crash-hook';
export * from './delay';
export * from './network-faults.service';
export * from './node-lifecycle.service';
