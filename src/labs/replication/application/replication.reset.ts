import { Injectable, Optional } from '@nestjs/common';
import { LabResetHook, LabResetProvider } from '../../../platform/reset/lab-reset.contract';
import { LAB } from '../replication.config';
import { PrimaryService } from './primary.service';

/** Replication's part of the one reset: the primary's reset (new epoch, version 0), which empties the replicas too. */
@Injectable()
@LabResetProvider()
export class ReplicationReset extends LabResetHook {
  readonly lab = LAB;

  constructor(@Optional() private readonly primary?: PrimaryService) {
    super();
  }

  async reset(): Promise<Record<string, unknown>> {
    if (!this.primary) return { primary: 'not in this process: reset it there' };
    return { primary: await this.primary.reset() };
  }
}
