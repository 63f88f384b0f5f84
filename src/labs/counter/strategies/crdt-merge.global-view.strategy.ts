import { Injectable } from '@nestjs/common';
import { LabStrategy } from '../../../platform/strategy/lab-strategy.decorator';
import { LAB } from '../counter.config';
import { gMergeAll, gValue } from '../crdt/g-counter';
import { GLOBAL_VIEW_PORT, GlobalViewKey, GlobalViewPort, RegionView } from './global-view.port';

/**
 * Merge every region's node map (per-node max), then sum. During a partition each side holds
 * entries the other lacks; the merge takes each node's entry from whoever has the newest, so
 * increments on both sides are counted, and none twice.
 */
@Injectable()
@LabStrategy({
  lab: LAB,
  port: GLOBAL_VIEW_PORT,
  key: GlobalViewKey.CrdtMerge,
  isDefault: true,
  description: 'merge all node maps (per-node max), then sum: counts both sides of a partition',
})
export class CrdtMergeGlobalViewStrategy extends GlobalViewPort {
  globalCount(regions: Record<string, RegionView>): number {
    return gValue(gMergeAll(Object.values(regions).map((r) => r.nodes)));
  }
}
