import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsInt, IsObject, IsOptional, Max, Min, ValidateNested } from 'class-validator';
import { OrderRequestDto } from './order.request.dto';

export class BatchOrdersRequestDto {
  /** Sent in ONE Kafka transaction: all visible to read_committed consumers, or none. */
  @IsArray()
  @ArrayMaxSize(100)
  // ValidateNested alone lets an array of arrays through, each inner array "valid".
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => OrderRequestDto)
  orders!: OrderRequestDto[];

  /** Lab fault: send this many of the orders, then abort the transaction instead of committing. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  abort_after_messages?: number;
}
