import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, Max, Min } from 'class-validator';
import { CRASH_POINTS, CrashPoint } from '../../orders.config';
import { DELIVERY_MODES, DeliveryMode } from '../../strategies/delivery.port';

/** Missing or null fields leave the setting unchanged. */
export class ConsumerConfigRequestDto {
  /** Offset commit order and isolation level; a change rebuilds the Kafka consumer. */
  @IsOptional()
  @IsIn(DELIVERY_MODES)
  processing_mode?: DeliveryMode | null;

  @IsOptional()
  @IsBoolean()
  enable_idempotency?: boolean | null;

  /** Probability (0..1) that a database write fails; failing messages are retried, then dead-lettered. */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  failure_rate?: number | null;

  /** Crash at `crash_point` of the Nth message from now (0 = never); one-shot. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  crash_after_messages?: number | null;

  /** Where the crash happens; default after-db-write (between the database write and the offset commit). */
  @IsOptional()
  @IsIn(CRASH_POINTS)
  crash_point?: CrashPoint | null;

  /** Back-off before the crashed consumer restarts by itself (a restart policy). */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(600_000)
  restart_after_ms?: number | null;
}
