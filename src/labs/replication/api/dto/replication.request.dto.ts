import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
  IsArray,
  ArrayMaxSize,
  IsIn,
  Matches,
} from 'class-validator';
import { ToInt } from '../../../../platform/http/query-transforms';
import { IsPresent, LogEntryDto } from '../../application/primary-replies.dto';
import { MAX_EPOCH, MAX_LSN, REPLICATION_DEFAULTS, ReplicationEngineKey } from '../../replication.config';

export class WriteDataRequestDto {
  @ApiProperty({ example: 'greeting' })
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  key!: string;

  @ApiProperty({
    description: 'Any JSON value',
    example: 'Hello, Distributed World!',
    oneOf: [
      { type: 'string' },
      { type: 'number' },
      { type: 'boolean' },
      { type: 'object' },
      { type: 'array', items: {} },
    ],
  })
  @IsPresent()
  value!: unknown;
}

export class SetReplicationDelayRequestDto {
  @ApiProperty({ description: 'Seed URL (http://lab14-replica2:8002), node name (replica2) or this deployment’s URL' })
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  replica_url!: string;

  @ApiProperty({ example: 3000 })
  @IsInt()
  @Min(0)
  @Max(REPLICATION_DEFAULTS.maxDelayMs)
  delay_ms!: number;
}

export class SetReplicationDelaysRequestDto {
  @ApiProperty({ example: { 'http://lab14-replica1:8001': 500, 'http://lab14-replica2:8002': 1500 } })
  @IsObject()
  delays!: Record<string, number>;
}

export class PrimaryVersionQueryDto {
  @ApiPropertyOptional({ description: 'A replica’s version: the answer then says how far behind it is' })
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(MAX_LSN)
  replica_version?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(MAX_EPOCH)
  replica_epoch?: number;
}

export class LogQueryDto {
  @ApiPropertyOptional({ description: 'Entries with an LSN above this', default: 0 })
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(MAX_LSN)
  after?: number;

  @ApiPropertyOptional({ default: REPLICATION_DEFAULTS.batchLimit })
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(REPLICATION_DEFAULTS.batchLimit)
  limit?: number;
}

export class ReplicateRequestDto {
  @ApiProperty({
    description:
      'The primary’s epoch (it changes on reset); a newer one than the replica’s is applied only once the primary confirms it',
  })
  @IsInt()
  @Min(1)
  @Max(MAX_EPOCH)
  epoch!: number;

  @ApiPropertyOptional({ description: 'The delay the primary applied before shipping' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(REPLICATION_DEFAULTS.maxDelayMs)
  delay_ms?: number;

  @ApiProperty({ type: [LogEntryDto] })
  @IsArray()
  @ArrayMaxSize(REPLICATION_DEFAULTS.batchLimit)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => LogEntryDto)
  entries!: LogEntryDto[];
}

export class ReplicaReadQueryDto {
  @ApiPropertyOptional({ description: 'Answer only once this version is applied (or wait_ms passed)' })
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(MAX_LSN)
  min_version?: number;

  @ApiPropertyOptional({
    description:
      'postgres-streaming only: answer only once the standby has replayed this WAL position (pg_lsn text, e.g. 0/16B3748), or wait_ms passed',
    example: '0/16B3748',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/, { message: 'min_lsn must be a PostgreSQL LSN such as 0/16B3748' })
  min_lsn?: string;

  @ApiPropertyOptional({ description: 'How long to wait for min_version / min_lsn, ms', default: 0 })
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(30000)
  wait_ms?: number;
}

export class ReplicaResetQueryDto {
  @ApiPropertyOptional({
    description: 'The primary’s new epoch (sent by the primary’s reset); applied only once the primary confirms it',
  })
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(MAX_EPOCH)
  epoch?: number;
}

export class WriteAndWaitQueryDto {
  @ApiPropertyOptional({ default: 5000 })
  @IsOptional()
  @ToInt()
  @IsInt()
  @Min(0)
  @Max(60000)
  timeout_ms?: number;
}

export class SessionWriteRequestDto extends WriteDataRequestDto {
  @ApiPropertyOptional({ description: 'The session token from the previous write or read' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  session?: string;
}

export class SessionReadQueryDto {
  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  key!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(512)
  session?: string;
}

export class ReadStrategyRequestDto {
  @ApiPropertyOptional({ example: 'read-your-writes' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  strategy?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(30000)
  max_wait_ms?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  max_versions_behind?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(600_000)
  max_ms_behind?: number;
}

export class ReplicationEngineRequestDto {
  @ApiProperty({ enum: Object.values(ReplicationEngineKey), example: ReplicationEngineKey.PostgresStreaming })
  @IsString()
  @IsIn(Object.values(ReplicationEngineKey))
  engine!: string;
}
