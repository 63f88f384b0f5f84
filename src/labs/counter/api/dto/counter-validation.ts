import { Transform } from 'class-transformer';
import { LabException } from '../../../../platform/http/lab-exception';
import { ValidateBy, ValidationOptions } from 'class-validator';

export const COUNTER_NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
export const COUNTER_NAME_MESSAGE = 'counter_name must be 1-128 characters of letters, digits, "_", ".", ":" or "-"';
export const MAX_AMOUNT = 1_000_000;

const isCount = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function isNodeMap(v: unknown): boolean {
  return isPlainObject(v) && Object.keys(v).length <= 1000 && Object.entries(v).every(([k, n]) => k.length > 0 && k.length <= 128 && isCount(n));
}

/** `{<counter_name>: {<node_id>: non-negative integer}}` — a G-Counter state as /sync carries it. */
export function IsCountMap(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCountMap',
      validator: {
        validate: (value: unknown) =>
          isPlainObject(value) &&
          Object.keys(value).length <= 100_000 &&
          Object.entries(value).every(([name, map]) => COUNTER_NAME_PATTERN.test(name) && isNodeMap(map)),
        defaultMessage: () =>
          '$property must map counter names to {node_id: non-negative integer} objects',
      },
    },
    options,
  );
}

/** `{<counter_name>: {p: {<node_id>: int}, n: {<node_id>: int}}}` — a PN-Counter state. */
export function IsPnCountMap(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPnCountMap',
      validator: {
        validate: (value: unknown) =>
          isPlainObject(value) &&
          Object.entries(value).every(
            ([name, c]) =>
              COUNTER_NAME_PATTERN.test(name) &&
              isPlainObject(c) &&
              Object.keys(c).every((k) => k === 'p' || k === 'n') &&
              isNodeMap(c.p ?? {}) &&
              isNodeMap(c.n ?? {}),
          ),
        defaultMessage: () => '$property must map counter names to {p: {node_id: int}, n: {node_id: int}} objects',
      },
    },
    options,
  );
}

/** Query-string booleans as the seed's FastAPI accepted them; anything else stays a string and fails @IsBoolean. */
export const ToBoolean = () =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') return value;
    const v = value.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
    return value;
  });

/** Query-string integers; anything that is not an integer literal stays a string and fails @IsInt. */
export const ToInt = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value));

/** The seed required a JSON body on writes (every field has a default, but an empty request is a mistake). */
export function assertJsonBody(req: { headers: Record<string, string | string[] | undefined> }): void {
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (!hasBody) {
    throw new LabException('REQUEST.BODY_REQUIRED', 'A JSON body is required, e.g. {"counter_name": "views", "amount": 1}', 'invalid');
  }
}
