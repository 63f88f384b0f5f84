export * from './experiment.contract';
export * from './rng';
export * from './experiment-limits';
