import { IsBoolean, IsOptional } from 'class-validator';
import { ToBoolean } from '../../../../platform/http/query-transforms';

export class ListSeatsQueryDto {
  /** Only unbooked seats, each with just seat_number, section and row_name. */
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  available_only?: boolean;
}
