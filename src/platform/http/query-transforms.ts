import { Transform } from 'class-transformer';

/**
 * Query strings (and the seeds' lax bodies) carry numbers and flags as text. These turn the text
 * a seed accepted into the value the DTO's validators judge; anything else is left as sent, so the
 * validator (`@IsInt`, `@IsBoolean`) names the problem in the 400 instead of a coerced value
 * slipping through.
 */

const INTEGER_TEXT = /^\s*-?\d+\s*$/;
const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

/** An integer literal becomes its number when that is exact (a safe integer); a larger one stays text and fails `@IsInt`. */
export function integerFromText(value: unknown): unknown {
  if (typeof value !== 'string' || !INTEGER_TEXT.test(value)) return value;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value;
}

/** true/false/1/0/yes/no/on/off in any case, as the seeds' FastAPI and Express accepted them. */
export function booleanFromText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim().toLowerCase();
  if (TRUE.includes(text)) return true;
  if (FALSE.includes(text)) return false;
  return value;
}

/** `@ToInt() @IsInt() @Max(…)`: digit strings become numbers; JSON numbers pass unchanged. */
export const ToInt = (): PropertyDecorator => Transform(({ value }: { value: unknown }) => integerFromText(value));

/** `@ToBoolean() @IsBoolean()`: query flags become booleans; JSON booleans pass unchanged. */
export const ToBoolean = (): PropertyDecorator => Transform(({ value }: { value: unknown }) => booleanFromText(value));

/** The largest PostgreSQL `integer` (int4): the `@Max` of a field stored in such a column. */
export const MAX_INT4 = 2_147_483_647;
