import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { ToBoolean, ToInt } from '../../../../platform/http/query-transforms';
import { COUNTER_NAME_MESSAGE, COUNTER_NAME_PATTERN } from './counter-validation';

export class PartitionRequestDto {
  @IsBoolean()
  enabled!: boolean;
}

export class GlobalPartitionRequestDto {
  @IsString()
  @MaxLength(64)
  region!: string;

  @IsBoolean()
  enabled!: boolean;
}

export class EnabledQueryDto {
  /** `true` (default) cuts the region off from its peers; `false` heals it. */
  @IsOptional()
  @ToBoolean()
  @IsBoolean({ message: 'enabled must be true or false' })
  enabled: boolean = true;
}

export class RegionParamDto {
  @IsString()
  @MaxLength(64)
  region!: string;
}

export class CoordinationDelayQueryDto {
  @IsOptional()
  @ToInt()
  @IsInt({ message: 'delay_ms must be an integer' })
  @Min(0)
  @Max(10000)
  delay_ms: number = 50;
}

export class SyncSettingsRequestDto {
  /** Anti-entropy period of every region, in ms (default 5000). */
  @IsInt()
  @Min(50)
  @Max(600000)
  interval_ms!: number;
}

export class CompareRequestDto {
  /** Base name: the comparison counts on `<name>_eventual` (a region) and `<name>_strong` (the strong counter). */
  @IsString()
  @MaxLength(100)
  @Matches(COUNTER_NAME_PATTERN, { message: COUNTER_NAME_MESSAGE })
  counter_name: string = 'views';

  @IsInt({ message: 'iterations must be an integer between 1 and 1000' })
  @Min(1, { message: 'iterations must be an integer between 1 and 1000' })
  @Max(1000, { message: 'iterations must be an integer between 1 and 1000' })
  iterations: number = 10;
}
