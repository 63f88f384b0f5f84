import { Transform } from 'class-transformer';

/** Accepts JSON integers and digit strings (`"1"`, as the seed's lax parsing did); anything else stays as sent, for the validator to name. */
export const ToInteger = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\s*-?\d{1,10}\s*$/.test(value) ? Number(value) : value,
  );

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

/** Query booleans as the seed accepted them: true/false/1/0/yes/no/on/off, any case. */
export const ToBoolean = () =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') return value;
    const v = value.trim().toLowerCase();
    return TRUE.includes(v) ? true : FALSE.includes(v) ? false : value;
  });

export const MAX_INT4 = 2147483647;
