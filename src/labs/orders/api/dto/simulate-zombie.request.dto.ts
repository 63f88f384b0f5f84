import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { MAX_PRODUCER_INSTANCES } from '../../orders.config';

export class SimulateZombieRequestDto {
  /**
   * Whose transactional id the second producer takes: the producer instance (0 = producer-1, n =
   * producer-<n+1>, LAB_INSTANCES). Default: this process's own, and the new producer takes its place.
   */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_PRODUCER_INSTANCES - 1)
  instance?: number;
}
