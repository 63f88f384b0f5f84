import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class SimulateCrashRequestDto {
  /** Back-off before the automatic restart; defaults to the consumer's restart_after_ms. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(600_000)
  restart_after_ms?: number;
}
