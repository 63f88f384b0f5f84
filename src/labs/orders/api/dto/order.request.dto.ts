import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

export class OrderItemDto {
  /** Item name, e.g. "Widget Pro". */
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  name!: string;

  @IsInt()
  @Min(1)
  @Max(1_000_000)
  quantity!: number;

  /** Unit price, not negative. */
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(99_999_999.99)
  price!: number;
}

/** The seed's OrderRequest. */
export class OrderRequestDto {
  /** Optional; a UUID is generated when missing, null or empty. */
  @IsOptional()
  @IsString()
  @MaxLength(255)
  order_id?: string | null;

  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  customer_id!: string;

  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(100)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => OrderItemDto)
  items!: OrderItemDto[];

  /** Order total, 0 or more, at most 2 decimals (numeric(10,2)). */
  @IsNumber({ allowNaN: false, allowInfinity: false, maxDecimalPlaces: 2 })
  @Min(0)
  @Max(99_999_999.99)
  total_amount!: number;
}
