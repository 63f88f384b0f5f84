import { IsBoolean, IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { BANK_LIMITS } from '../../bank.config';
import { TransferStrategyKey } from '../../strategies/transfer.port';

/** POST /admin/settings: every field optional; only the fields sent change. */
export class SettingsRequestDto {
  @IsOptional()
  @IsBoolean()
  delay_enabled?: boolean;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(BANK_LIMITS.maxDelayMs)
  delay_ms?: number;

  @IsOptional()
  @IsBoolean()
  barrier_enabled?: boolean;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(BANK_LIMITS.maxBarrierCount)
  barrier_count?: number;

  /** true selects the `safe` strategy, false the `vulnerable` one (ignored when transfer_strategy is sent). */
  @IsOptional()
  @IsBoolean()
  use_transactions?: boolean;

  @IsOptional()
  @IsInt()
  @Min(BANK_LIMITS.minBarrierTimeoutMs)
  @Max(BANK_LIMITS.maxBarrierTimeoutMs)
  barrier_timeout_ms?: number;

  @IsOptional()
  @IsIn(Object.values(TransferStrategyKey))
  transfer_strategy?: string;
}
