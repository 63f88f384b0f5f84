import { ValidationError, ValidationPipe } from '@nestjs/common';
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
