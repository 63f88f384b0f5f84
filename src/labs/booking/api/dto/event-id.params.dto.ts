import { IsInt, Max, Min } from 'class-validator';
import { MAX_INT4, ToInt } from '../../../../platform/http/query-transforms';

export class EventIdParamsDto {
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(MAX_INT4)
  event_id!: number;
}
