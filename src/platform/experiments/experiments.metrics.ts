import { makeCounterProvider } from '@willsoto/nestjs-prometheus';

export const EXPERIMENTS_TOTAL = 'experiments_total';
export const EXPERIMENT_OPS_TOTAL = 'experiment_ops_total';

export const experimentMetricProviders = [
  makeCounterProvider({
    name: EXPERIMENTS_TOTAL,
    help: 'Experiments finished, by lab, strategy and outcome (valid, invalid, unknown, aborted)',
    labelNames: ['lab', 'strategy', 'outcome'],
  }),
  makeCounterProvider({
    name: EXPERIMENT_OPS_TOTAL,
    help: 'Experiment history ops recorded, by lab and type (invoke, ok, fail, info)',
    labelNames: ['lab', 'type'],
  }),
];
