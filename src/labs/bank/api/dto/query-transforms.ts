import { Transform } from 'class-transformer';

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

/** A query flag as the seed accepted it (true/false/1/0/yes/no/on/off); anything else fails validation. */
export const QueryBoolean = () =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') return value;
    const text = value.trim().toLowerCase();
    if (TRUE.includes(text)) return true;
    if (FALSE.includes(text)) return false;
    return value;
  });

/** A query integer; anything that is not one is left as it is, so @IsInt names the problem. */
export const QueryInt = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^-?\d{1,15}$/.test(value.trim()) ? Number(value) : value,
  );
