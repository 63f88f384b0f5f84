import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { MAX_INT4, ToInt } from '../../../../platform/http/query-transforms';

/** `?event_id=` on reset (default 1, the seed event) and as an optional filter on stats and double bookings. */
export class EventFilterQueryDto {
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(MAX_INT4)
  event_id?: number;
}
