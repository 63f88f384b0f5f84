import { IsBoolean, IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { GROUP_COMMIT_LIMITS } from '../../orders.config';
import { DELIVERY_MODES, DeliveryMode } from '../../strategies/delivery.port';

/** Missing or null fields leave the setting unchanged. */
export class ProducerConfigRequestDto {
  @IsOptional()
  @IsIn(DELIVERY_MODES)
  delivery_mode?: DeliveryMode | null;

  @IsOptional()
  @IsBoolean()
  enable_transactions?: boolean | null;

  /** Group commit (exactly-once with transactions): ms a transaction waits for more single orders; 0 = one transaction per order. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(GROUP_COMMIT_LIMITS.maxLingerMs)
  transaction_linger_ms?: number | null;

  /** Group commit: most single orders sharing one transaction. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(GROUP_COMMIT_LIMITS.maxOrdersPerTransaction)
  max_orders_per_transaction?: number | null;

  /** Transactional producers of the node, each with its own transactional id: up to this many transactions in flight at once (a change rebuilds them). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(GROUP_COMMIT_LIMITS.maxTransactionalProducers)
  transactional_producers?: number | null;
}
