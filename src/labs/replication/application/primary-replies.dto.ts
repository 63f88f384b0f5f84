import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
  ValidationArguments,
  registerDecorator,
} from 'class-validator';
import { MAX_EPOCH, MAX_LSN, REPLICATION_DEFAULTS } from '../replication.config';

/**
 * What a replica accepts from the primary over HTTP (GET /log, GET /version): validated like a
 * request before it is applied. Also the shape of the entries the primary ships (ReplicateRequestDto).
 */

/** Any JSON value (string, number, object, array, bool, null), but the field must be there. */
export function IsPresent(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isPresent',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) => value !== undefined,
        defaultMessage: (args?: ValidationArguments) => `${args?.property} is required (any JSON value, null included)`,
      },
    });
}

export class LogEntryDto {
  @IsInt()
  @Min(1)
  @Max(MAX_LSN)
  lsn!: number;

  @IsString()
  @MaxLength(256)
  key!: string;

  @IsPresent()
  value!: unknown;

  @IsString()
  @MaxLength(64)
  write_id!: string;

  @IsNumber({ allowNaN: false, allowInfinity: false })
  write_timestamp!: number;
}

/** The primary's answer to GET /log, checked like a request before a catching-up replica applies it. */
export class LogPageDto {
  @IsInt()
  @Min(1)
  @Max(MAX_EPOCH)
  epoch!: number;

  @IsInt()
  @Min(0)
  @Max(MAX_LSN)
  version!: number;

  @IsArray()
  @ArrayMaxSize(REPLICATION_DEFAULTS.batchLimit)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => LogEntryDto)
  entries!: LogEntryDto[];
}

/** The primary's answer to GET /version?replica_version=…, checked before a replica reports its lag. */
export class PrimaryLagReplyDto {
  @IsInt()
  @Min(1)
  @Max(MAX_EPOCH)
  epoch!: number;

  @IsInt()
  @Min(0)
  @Max(MAX_LSN)
  version!: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_LSN)
  versions_behind?: number;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  ms_behind?: number;
}
