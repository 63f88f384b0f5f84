import { IsBoolean, IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { BANK_LIMITS } from '../../bank.config';
import { ISOLATION_KEYS } from '../../strategies/transfer.port';
import { ToBoolean, ToInt } from '../../../../platform/http/query-transforms';

export class DelayQueryDto {
  /** Default true, as in the seed. */
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  enabled?: boolean;

  /** Milliseconds of each debug delay; left unchanged when omitted. */
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(BANK_LIMITS.maxDelayMs)
  ms?: number;
}

export class BarrierQueryDto {
  /** Default true, as in the seed. */
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  enabled?: boolean;

  /** How many transfers the barrier holds and releases together; left unchanged when omitted. */
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(BANK_LIMITS.maxBarrierCount)
  count?: number;

  /** How long a waiter waits for the others before going on alone; left unchanged when omitted. */
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(BANK_LIMITS.minBarrierTimeoutMs)
  @Max(BANK_LIMITS.maxBarrierTimeoutMs)
  timeout_ms?: number;
}

export class SafeModeQueryDto {
  /** true selects the `safe` transfer strategy, false the `vulnerable` one; default true. */
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  enabled?: boolean;
}

export class IsolationQueryDto {
  /** Selects the transfer strategy that runs check-then-act in one transaction at this level. */
  @IsIn(ISOLATION_KEYS)
  level!: (typeof ISOLATION_KEYS)[number];
}

export class TransactionsQueryDto {
  /** How many of the latest log entries to return (1..1000, default 20), oldest first. */
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(BANK_LIMITS.maxTransactionsLimit)
  limit?: number;
}
