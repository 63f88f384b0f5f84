import { GCounter } from '../crdt/g-counter';

export const GLOBAL_VIEW_PORT = 'global-view';

export const GlobalViewKey = {
  CrdtMerge: 'crdt-merge',
  MaxOfTotals: 'max-of-totals',
} as const;
export type GlobalViewKey = (typeof GlobalViewKey)[keyof typeof GlobalViewKey];

export interface RegionView {
  total_count: number;
  nodes: GCounter;
}

/** How the coordinator turns the regions' replicas of one counter into a single global count. */
export abstract class GlobalViewPort {
  abstract globalCount(regions: Record<string, RegionView>): number;
}
