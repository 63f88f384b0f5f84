import { IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { GCounter } from '../../crdt/g-counter';
import { PNCounter } from '../../crdt/pn-counter';
import { IsCountMap, IsPnCountMap } from './counter-validation';

/** What the receiver answers with: its whole state (the seed's), one page of it, or nothing. */
export const SYNC_REPLIES = ['full', 'page', 'none'] as const;
export type SyncReply = (typeof SYNC_REPLIES)[number];

/**
 * The seed's GCounterState; `pn_counts` carries the PN-Counters beside the G-Counters. Beyond the
 * seed, `reply` and `after` let a large state travel in chunks: each request pushes one chunk and
 * pulls one page of the receiver's counters (names after `after`, in order), both under the body limit.
 */
export class SyncRequestDto {
  @IsCountMap()
  counts!: Record<string, GCounter>;

  @IsString()
  @MaxLength(128)
  node_id!: string;

  @IsNumber({ allowNaN: false, allowInfinity: false })
  timestamp!: number;

  @IsOptional()
  @IsPnCountMap()
  pn_counts?: Record<string, PNCounter>;

  /** `full` (default, the seed's): the receiver's whole state; `page`: its counters after `after`, under the body limit, with `next`; `none`: no counters. */
  @IsOptional()
  @IsIn(SYNC_REPLIES, { message: `reply must be one of ${SYNC_REPLIES.join(', ')}` })
  reply?: SyncReply;

  /** With `reply: page`: the last counter name of the previous page ('' for the first). */
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_.:-]{0,128}$/, { message: 'after must be a counter name or empty' })
  after?: string;

  /** The reset epoch the sender read its state in (regions send it): once the lab was reset since, the sync is refused with 409 COUNTER.SYNC_STALE. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  epoch?: number;
}
