import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { Type } from 'class-transformer';
import { EXPERIMENT_LIMITS as L } from '../../experiment-limits';

export class ExperimentIdParamsDto {
  @ApiProperty({ description: 'Experiment id (a UUID from POST /admin/experiments)' })
  @IsUUID()
  id!: string;
}

export class ListExperimentsQueryDto {
  @ApiPropertyOptional({ description: 'How many, most recent first', minimum: 1, maximum: L.maxList, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(L.maxList)
  limit?: number;

  @ApiPropertyOptional({ description: 'Only this lab' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  @Matches(/^[a-z]+$/)
  lab?: string;
}

export class ExperimentEventsQueryDto {
  @ApiPropertyOptional({
    description: 'Replay only ops with a greater index (what Last-Event-ID does for EventSource)',
    minimum: -1,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(-1)
  @Max(1_000_000_000)
  after?: number;
}

export class ExperimentCreatedDto {
  @ApiProperty({ description: 'Follow it at GET /admin/experiments/{id} or /{id}/events' })
  id!: string;
}

export class AnomalyDto {
  @ApiProperty({ example: 'double-booking' })
  type!: string;

  @ApiProperty({ example: 'seat A1 was confirmed to p1-3 (op 14) and to p4-2 (op 19)' })
  explanation!: string;

  @ApiProperty({ type: [Number], description: 'History indices of the ops that make the anomaly' })
  ops!: number[];
}

export class VerdictDto {
  @ApiProperty({ oneOf: [{ type: 'boolean' }, { type: 'string', enum: ['unknown'] }] })
  valid!: boolean | 'unknown';

  @ApiProperty({ type: [AnomalyDto] })
  anomalies!: AnomalyDto[];

  @ApiProperty({ type: 'object', additionalProperties: true })
  stats!: Record<string, unknown>;
}

export class NemesisStepViewDto {
  @ApiProperty() at_ms!: number;
  @ApiProperty() fault!: string;
  @ApiPropertyOptional() target?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) params?: Record<string, unknown>;
  @ApiProperty() duration_ms!: number;
}

export class ExperimentDocumentDto {
  @ApiProperty() id!: string;
  @ApiProperty() lab!: string;
  @ApiProperty() strategy!: string;
  @ApiProperty() workload!: string;
  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { $ref: '#/components/schemas/NemesisStepViewDto' } }],
  })
  nemesis!: string | NemesisStepViewDto[];
  @ApiProperty({ type: [NemesisStepViewDto] }) schedule!: NemesisStepViewDto[];
  @ApiProperty() seed!: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'seed, concurrency, ops, duration_ms, rate, op_timeout_ms and the lab parameters',
  })
  params!: Record<string, unknown>;
  @ApiProperty({ enum: ['running', 'valid', 'invalid', 'unknown', 'aborted'] })
  @IsIn(['running', 'valid', 'invalid', 'unknown', 'aborted'])
  status!: string;
  @ApiProperty({ description: 'Share of planned client ops completed, 0..1' }) progress!: number;
  @ApiProperty() created_at!: string;
  @ApiProperty({ nullable: true, type: String }) finished_at!: string | null;
  @ApiProperty() ops_recorded!: number;
  @ApiProperty({ type: VerdictDto, nullable: true }) verdict!: VerdictDto | null;
  @ApiPropertyOptional({ description: 'Why it ended aborted or unknown' }) reason?: string;
}

export class ExperimentListDto {
  @ApiProperty({ type: [ExperimentDocumentDto] })
  experiments!: ExperimentDocumentDto[];
}

export class ParamSpecDto {
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['integer', 'number', 'string', 'boolean'] }) type!: string;
  @ApiProperty({ description: 'Default value' }) default!: unknown;
  @ApiPropertyOptional() min?: number;
  @ApiPropertyOptional() max?: number;
  @ApiProperty() description!: string;
}

export class NamedDto {
  @ApiProperty() name!: string;
  @ApiProperty() description!: string;
}

export class ExpectationDto {
  @ApiProperty() strategy!: string;
  @ApiProperty() nemesis!: string;
  @ApiProperty({ enum: ['valid', 'invalid'] }) expected!: string;
}

export class CatalogEntryDto {
  @ApiProperty() lab!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ type: [NamedDto] }) workloads!: NamedDto[];
  @ApiProperty() defaultWorkload!: string;
  @ApiProperty({ type: [NamedDto], description: 'Named fault schedules' }) nemeses!: NamedDto[];
  @ApiProperty() defaultNemesis!: string;
  @ApiProperty({ type: [ParamSpecDto] }) params!: ParamSpecDto[];
  @ApiProperty({ type: [String] }) strategies!: string[];
  @ApiProperty() defaultStrategy!: string;
  @ApiPropertyOptional({ type: [String], description: 'Faults an explicit schedule may use' }) faults?: string[];
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'concurrency, ops, duration_ms, op_timeout_ms (and rate) a run gets by default',
  })
  defaults!: Record<string, unknown>;
  @ApiProperty({ type: [ExpectationDto] }) expectations!: ExpectationDto[];
}

export class CatalogDto {
  @ApiProperty({ type: [CatalogEntryDto] })
  labs!: CatalogEntryDto[];
}

export class ErrorBodyDto {
  @ApiProperty() statusCode!: number;
  @ApiProperty({ example: 'EXPERIMENT.UNKNOWN_STRATEGY' }) code!: string;
  @ApiProperty() message!: string;
  @ApiPropertyOptional({ description: 'What was wrong (fields, known values)' }) details?: unknown;
  @ApiProperty() detail!: string;
}
