import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ToInt } from '../../../../platform/http/query-transforms';

export class PauseHolderFaultRequestDto {
  /** How long each paused holder stalls inside its critical section, 1–60000 ms. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(60000)
  pause_ms!: number;

  /** How many of the next critical sections pause (default 1: "the" lock holder). */
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(1000)
  holders?: number;
}
