import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ToInt } from '../../../../platform/http/query-transforms';

/** A partial update: fields left out keep their value. */
export class UpdateSettingsRequestDto {
  /** Pause between reading and writing the seat, 0–5000 ms (default 50). */
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(5000)
  race_window_ms?: number;

  /** Redis seat-lock TTL, 50–60000 ms (default 5000). */
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(50)
  @Max(60000)
  lock_ttl_ms?: number;

  /** Optimistic attempts in total, 1–10 (default 3). */
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(10)
  optimistic_max_attempts?: number;

  /** First optimistic back-off, doubled after each conflict, 0–1000 ms (default 10). */
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(1000)
  optimistic_backoff_ms?: number;
}
