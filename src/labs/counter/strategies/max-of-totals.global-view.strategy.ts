import { Injectable } from '@nestjs/common';
import { LabStrategy } from '../../../platform/strategy/lab-strategy.decorator';
import { LAB } from '../counter.config';
import { GLOBAL_VIEW_PORT, GlobalViewKey, GlobalViewPort, RegionView } from './global-view.port';

/**
 * The seed's global count: the largest regional total. Right once the regions have converged,
 * but during a partition it undercounts — the increments made on the smaller side are missing
 * from the biggest total, and the global view drops them until the heal.
 */
@Injectable()
@LabStrategy({
  lab: LAB,
  port: GLOBAL_VIEW_PORT,
  key: GlobalViewKey.MaxOfTotals,
  description: "the seed's max of regional totals: undercounts during a partition",
})
export class MaxOfTotalsGlobalViewStrategy extends GlobalViewPort {
  globalCount(regions: Record<string, RegionView>): number {
    return Math.max(0, ...Object.values(regions).map((r) => r.total_count));
  }
}
