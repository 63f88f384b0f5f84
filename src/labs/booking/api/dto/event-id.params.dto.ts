import { IsInt, Max, Min } from 'class-validator';
import { MAX_INT4, ToInteger } from './transforms';

export class EventIdParamsDto {
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(MAX_INT4)
  event_id!: number;
}
