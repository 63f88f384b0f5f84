import { ValidationError, ValidationPipe } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { LabException } from './lab-exception';

export interface FieldProblem {
  field: string;
  problems: string[];
  value?: unknown;
}

function flatten(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own: FieldProblem[] = error.constraints
      ? [{ field, problems: Object.values(error.constraints), value: error.value }]
      : [];
    return own.concat(flatten(error.children ?? [], field));
  });
}

/** whitelist + forbid unknown fields + transform; every bad field is listed in `details`. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    exceptionFactory: (errors) => {
      const details = flatten(errors);
      const summary = details.map((d) => `${d.field}: ${d.problems.join(', ')}`).join('; ');
      return new LabException('REQUEST.VALIDATION_FAILED', `Invalid request: ${summary}`, 'invalid', details);
    },
  });
}

/**
 * A peer's reply checked with the same DTO rules as a request (a node trusts no body it did not
 * validate): the typed value, or a `NODE.BAD_REPLY` exception listing every bad field.
 */
export function validateReply<T extends object>(dto: new () => T, body: unknown, from: string): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new LabException('NODE.BAD_REPLY', `${from} answered something that is not a JSON object`, 'unavailable', {
      from,
    });
  }
  const value = plainToInstance(dto, body, { enableImplicitConversion: false });
  const errors = validateSync(value, { whitelist: true, forbidUnknownValues: true });
  if (errors.length > 0) {
    const details = flatten(errors).map(({ field, problems }) => ({ field, problems }));
    throw new LabException(
      'NODE.BAD_REPLY',
      `${from} answered an invalid body: ${details.map((d) => d.field).join(', ')}`,
      'unavailable',
      { from, details },
    );
  }
  return value;
}
