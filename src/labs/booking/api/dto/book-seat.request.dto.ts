import { IsInt, IsNotEmpty, IsString, Max, MaxLength, Min } from 'class-validator';
import { MAX_INT4, ToInt } from '../../../../platform/http/query-transforms';

export class BookSeatRequestDto {
  /** The event, e.g. 1 (the seed event). */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(MAX_INT4)
  event_id!: number;

  /** Seat label, e.g. `A1`. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(10)
  seat_number!: string;

  /** Who books, e.g. `customer_1`. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  customer_id!: string;
}
