import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { LabException } from './lab-exception';

/** Deeper JSON than any lab's request needs; past it class-transformer would recurse for nothing. */
export const MAX_JSON_DEPTH = 32;

const RAW_BODY_INVALID = Symbol('rawBodyInvalidUtf8');

export interface TextProblem {
  field: string;
  problem: string;
  code?: 'REQUEST.INVALID_TEXT' | 'REQUEST.TOO_DEEP' | 'REQUEST.NUMBER_OUT_OF_RANGE';
}

/** `verify` hook of the JSON parser: remember when the raw bytes were not UTF-8 (the decoder would replace them silently). */
export function markInvalidUtf8(req: IncomingMessage, _res: unknown, buf: Buffer): void {
  if (!isUtf8(buf)) (req as unknown as Record<symbol, boolean>)[RAW_BODY_INVALID] = true;
}

export function hadInvalidUtf8(req: IncomingMessage): boolean {
  return (req as unknown as Record<symbol, boolean | undefined>)[RAW_BODY_INVALID] === true;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be stored as PostgreSQL text, or undefined when it can. */
export function textProblem(value: string, replacementMeansInvalid = false): string | undefined {
  if (value.includes('\u0000')) return 'must not contain NUL bytes (\\u0000)';
  if (LONE_SURROGATE.test(value)) return 'must be valid UTF-8 (it holds a lone surrogate)';
  if (replacementMeansInvalid && value.includes('\uFFFD')) return 'must be valid UTF-8';
  return undefined;
}

function join(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

/**
 * Walks a parsed JSON body once: every string and key must be storable text, nesting stays under
 * MAX_JSON_DEPTH, numbers are finite and integers exact (|n| ≤ 2^53 − 1). Iterative, so a deep
 * body cannot overflow the stack here.
 */
export function findBodyProblem(body: unknown, rawInvalidUtf8: boolean): TextProblem | undefined {
  const stack: Array<{ value: unknown; field: string; depth: number }> = [{ value: body, field: '', depth: 0 }];
  while (stack.length > 0) {
    const { value, field, depth } = stack.pop()!;
    const name = !field ? 'body' : field.length > 120 ? `${field.slice(0, 60)}…${field.slice(-40)}` : field;
    if (typeof value === 'string') {
      const problem = textProblem(value, rawInvalidUtf8);
      if (problem) return { field: name, problem };
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value))
        return {
          field: name,
          problem: 'must be a finite number (it overflows a double)',
          code: 'REQUEST.NUMBER_OUT_OF_RANGE',
        };
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
        return {
          field: name,
          problem: 'must be an integer within ±(2^53 − 1): larger ones lose precision in JSON',
          code: 'REQUEST.NUMBER_OUT_OF_RANGE',
        };
      }
    } else if (value !== null && typeof value === 'object') {
      if (depth >= MAX_JSON_DEPTH)
        return { field: name, problem: `nests deeper than ${MAX_JSON_DEPTH} levels`, code: 'REQUEST.TOO_DEEP' };
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--)
          stack.push({ value: value[i], field: join(field, i), depth: depth + 1 });
      } else {
        for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
          const problem = textProblem(key, rawInvalidUtf8);
          if (problem) return { field: join(field, key), problem: `(the key) ${problem}` };
          stack.push({ value: child, field: join(field, key), depth: depth + 1 });
        }
      }
    }
  }
  if (rawInvalidUtf8) return { field: 'body', problem: 'must be valid UTF-8' };
  return undefined;
}

/** Percent-decodes to bytes (not to a string, which would hide invalid UTF-8); undefined when malformed. */
function percentDecode(text: string, plusIsSpace: boolean): Buffer | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25) {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (plusIsSpace && c === 0x2b) {
      bytes.push(0x20);
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      bytes.push(...Buffer.from(text[i], 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

function bytesProblem(bytes: Buffer | undefined): string | undefined {
  if (!bytes) return 'has a malformed percent-encoding';
  if (bytes.includes(0)) return 'must not contain NUL bytes (%00)';
  if (!isUtf8(bytes)) return 'must be valid UTF-8 once percent-decoded';
  return undefined;
}

/** Path segments and query parameters of a raw request URL, checked as bytes. */
export function findUrlProblem(url: string): TextProblem | undefined {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q + 1);
  for (const segment of path.split('/')) {
    const problem = bytesProblem(percentDecode(segment, false));
    if (problem) return { field: `path segment "${segment.slice(0, 64)}"`, problem };
  }
  for (const pair of query.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    const keyBytes = percentDecode(rawKey, true);
    const name = `query.${(keyBytes ?? Buffer.from(rawKey)).toString('utf8').slice(0, 64)}`;
    const keyProblem = bytesProblem(keyBytes);
    if (keyProblem) return { field: name, problem: `(the name) ${keyProblem}` };
    if (eq !== -1) {
      const problem = bytesProblem(percentDecode(pair.slice(eq + 1), true));
      if (problem) return { field: name, problem };
    }
  }
  return undefined;
}

export function textException(found: TextProblem): LabException {
  return new LabException(
    found.code ?? 'REQUEST.INVALID_TEXT',
    `Invalid request: ${found.field} ${found.problem}`,
    'invalid',
    [{ field: found.field, problems: [`${found.field} ${found.problem}`] }],
  );
}
