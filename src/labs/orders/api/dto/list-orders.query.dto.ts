import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ToInt } from '../../../../platform/http/query-transforms';

export class ListOrdersQueryDto {
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(100)
  limit?: number;

  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  offset?: number;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  customer_id?: string;

  @IsOptional()
  @IsString()
  @MaxLength(50)
  status?: string;
}
