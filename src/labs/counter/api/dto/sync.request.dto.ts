import { IsNumber, IsOptional, IsString, MaxLength } from 'class-validator';
import { GCounter } from '../../crdt/g-counter';
import { PNCounter } from '../../crdt/pn-counter';
import { IsCountMap, IsPnCountMap } from './counter-validation';

/** The seed's GCounterState; `pn_counts` carries the PN-Counters beside the G-Counters. */
export class SyncRequestDto {
  @IsCountMap()
  counts!: Record<string, GCounter>;

  @IsString()
  @MaxLength(128)
  node_id!: string;

  @IsNumber()
  timestamp!: number;

  @IsOptional()
  @IsPnCountMap()
  pn_counts?: Record<string, PNCounter>;
}
