import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { MAX_INT4, ToInt } from '../../../../platform/http/query-transforms';

export class CompareStrategiesRequestDto {
  /** Event to attack (default 1); it is reset before each strategy. */
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(MAX_INT4)
  event_id?: number;

  /** Seat every request wants (default A1). */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(10)
  seat_number?: string;

  /** Concurrent requests per strategy, 2–200 (default 20). */
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(2)
  @Max(200)
  requests?: number;

  /** Strategies to compare, in order (default: all). */
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10)
  @IsString({ each: true })
  strategies?: string[];
}
