import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
  ArrayMaxSize,
  IsArray,
} from 'class-validator';
import { Type } from 'class-transformer';
import { EXPERIMENT_LIMITS as L } from '../../experiment-limits';

/** One fault of an explicit schedule. */
export class NemesisStepDto {
  @ApiProperty({
    description: 'When the fault starts, ms after the experiment started',
    minimum: 0,
    maximum: L.maxDurationMs,
  })
  @IsInt()
  @Min(0)
  @Max(L.maxDurationMs)
  at_ms!: number;

  @ApiProperty({ description: "A fault of the lab's catalog (`faults`), e.g. `pause-lock-holder`, `delay`" })
  @IsString()
  @MaxLength(64)
  @Matches(/^[a-z0-9][a-z0-9-]*$/, { message: 'fault must be a lowercase name like pause-lock-holder' })
  fault!: string;

  @ApiPropertyOptional({ description: 'The node or resource the fault hits, when the fault needs one' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  target?: string;

  @ApiPropertyOptional({
    description: "The fault's parameters (checked by the lab)",
    type: 'object',
    additionalProperties: true,
  })
  @IsOptional()
  @IsObject()
  params?: Record<string, unknown>;

  @ApiProperty({
    description: 'How long the fault lasts before the runner heals it, ms',
    minimum: 1,
    maximum: L.maxFaultMs,
  })
  @IsInt()
  @Min(1)
  @Max(L.maxFaultMs)
  duration_ms!: number;
}

/**
 * POST /admin/experiments. Lab parameters (the catalog's `params`) may be sent at the top level
 * or under `params`; anything that is neither a field below nor a parameter of the lab is refused.
 */
export class CreateExperimentRequestDto {
  @ApiProperty({ description: 'The lab to run (see GET /admin/experiments/catalog)', example: 'booking' })
  @IsString()
  @MaxLength(32)
  lab!: string;

  @ApiPropertyOptional({
    description: "A strategy of the lab's catalog; default: the catalog's defaultStrategy",
    example: 'none',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  strategy?: string;

  @ApiPropertyOptional({ description: "A workload of the lab's catalog; default: its defaultWorkload" })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  workload?: string;

  @ApiPropertyOptional({
    description: 'A named schedule of the catalog, or an explicit list of faults',
    oneOf: [
      { type: 'string', example: 'none' },
      { type: 'array', items: { $ref: '#/components/schemas/NemesisStepDto' } },
    ],
  })
  @IsOptional()
  nemesis?: string | NemesisStepDto[];

  @ApiPropertyOptional({
    description: 'PRNG seed: the same seed plans the same operations and schedule; default random',
    minimum: 0,
    maximum: L.maxSeed,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(L.maxSeed)
  seed?: number;

  @ApiPropertyOptional({ description: 'Logical client processes', minimum: 1, maximum: L.maxConcurrency })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(L.maxConcurrency)
  concurrency?: number;

  @ApiPropertyOptional({
    description: 'Stop issuing client ops after this long, ms',
    minimum: L.minDurationMs,
    maximum: L.maxDurationMs,
  })
  @IsOptional()
  @IsInt()
  @Min(L.minDurationMs)
  @Max(L.maxDurationMs)
  duration_ms?: number;

  @ApiPropertyOptional({ description: 'Client operations to plan', minimum: 1, maximum: L.maxOps })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(L.maxOps)
  ops?: number;

  @ApiPropertyOptional({
    description: 'Cap on client ops per second over all processes',
    minimum: 0.1,
    maximum: L.maxRate,
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.1)
  @Max(L.maxRate)
  rate?: number;

  @ApiPropertyOptional({
    description: 'A client op still pending after this long is recorded info (timeout), ms',
    minimum: L.minOpTimeoutMs,
    maximum: L.maxOpTimeoutMs,
  })
  @IsOptional()
  @IsInt()
  @Min(L.minOpTimeoutMs)
  @Max(L.maxOpTimeoutMs)
  op_timeout_ms?: number;

  @ApiPropertyOptional({
    description: "Lab parameters (the catalog's params), also accepted at the top level",
    type: 'object',
    additionalProperties: true,
  })
  @IsOptional()
  @IsObject()
  params?: Record<string, unknown>;
}

/** Keys of the request that are the platform's; every other top-level key is a lab parameter. */
export const PLATFORM_REQUEST_KEYS = [
  'lab',
  'strategy',
  'workload',
  'nemesis',
  'seed',
  'concurrency',
  'duration_ms',
  'ops',
  'rate',
  'op_timeout_ms',
  'params',
] as const;

export class NemesisStepListDto {
  @IsArray()
  @ArrayMaxSize(L.maxNemesisSteps)
  @ValidateNested({ each: true })
  @Type(() => NemesisStepDto)
  steps!: NemesisStepDto[];
}
