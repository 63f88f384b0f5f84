import { CrdtMergeGlobalViewStrategy } from './crdt-merge.global-view.strategy';
import { MaxOfTotalsGlobalViewStrategy } from './max-of-totals.global-view.strategy';
import { RegionView } from './global-view.port';

const view = (nodes: Record<string, number>): RegionView => ({
  nodes,
  total_count: Object.values(nodes).reduce((s, n) => s + n, 0),
});

describe('global view strategies', () => {
  const partitioned = {
    'us-east': view({ 'us-east-1': 5, 'us-west-1': 2 }),
    'us-west': view({ 'us-west-1': 9 }),
    'eu-west': view({ 'us-west-1': 9 }),
  };
  const converged = {
    'us-east': view({ 'us-east-1': 5, 'us-west-1': 9 }),
    'us-west': view({ 'us-east-1': 5, 'us-west-1': 9 }),
    'eu-west': view({ 'us-east-1': 5, 'us-west-1': 9 }),
  };

  it('crdt-merge counts both sides of a partition, each increment once', () => {
    expect(new CrdtMergeGlobalViewStrategy().globalCount(partitioned)).toBe(14);
    expect(new CrdtMergeGlobalViewStrategy().globalCount(converged)).toBe(14);
  });

  it('max-of-totals (the seed) undercounts during a partition and agrees once converged', () => {
    expect(new MaxOfTotalsGlobalViewStrategy().globalCount(partitioned)).toBe(9);
    expect(new MaxOfTotalsGlobalViewStrategy().globalCount(converged)).toBe(14);
  });

  it('both read an empty view as 0', () => {
    expect(new CrdtMergeGlobalViewStrategy().globalCount({})).toBe(0);
    expect(new MaxOfTotalsGlobalViewStrategy().globalCount({})).toBe(0);
  });
});
