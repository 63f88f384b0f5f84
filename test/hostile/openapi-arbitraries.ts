import fc from 'fast-check';
import { HOSTILE_SEGMENTS } from './hostile-kit';

/** The parts of OpenAPI 3 schemas that the app's request DTOs use. */
export interface Schema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  oneOf?: Schema[];
  allOf?: Schema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  nullable?: boolean;
}

export interface Parameter {
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
  required?: boolean;
  schema?: Schema;
}

export interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body?: Schema;
}

export interface HostileRequest {
  method: string;
  path: string;
  /** A value to JSON.stringify, or the raw bytes to send. */
  body?: unknown;
  raw?: Buffer;
  /** What was made hostile, for the failure message. */
  attack: string;
}

export interface OpenApiDocument {
  paths: Record<
    string,
    Record<string, { parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema?: Schema }> } }>
  >;
  components?: { schemas?: Record<string, Schema> };
}

/** Every operation that is not a GET, with its parameters and JSON body schema. */
export function writeOperations(doc: OpenApiDocument): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([method]) => ['post', 'put', 'patch', 'delete'].includes(method))
      .map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        body: op.requestBody?.content?.['application/json']?.schema,
      })),
  );
}

const SAFE_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789_-'.split('');

function deep(levels: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { n: value };
  return value;
}

/** Values that no field of any DTO should accept blindly. */
export const hostileValue: fc.Arbitrary<[string, unknown]> = fc.oneof(
  fc.constantFrom<[string, unknown]>(
    ['null', null],
    ['true', true],
    ['a NUL byte', 'a\u0000b'],
    ['a lone surrogate', 'x\uD800y'],
    ['a 100k string', 'x'.repeat(100_000)],
    ['2^53', 2 ** 53],
    ['-2^53', -(2 ** 53)],
    ['2^53 - 1', 2 ** 53 - 1],
    ['-(2^53 - 1)', -(2 ** 53 - 1)],
    ['1e308', 1e308],
    ['-1e308', -1e308],
    ['-1', -1],
    ['0.5', 0.5],
    ['0', 0],
    ['an empty string', ''],
    ['deep nesting', deep(40)],
    ['an empty array', []],
    ['an empty object', {}],
  ),
  fc.string({ maxLength: 40 }).map((s): [string, unknown] => ['a random string', s]),
  fc.string({ unit: 'binary', maxLength: 20 }).map((s): [string, unknown] => ['a random unicode string', s]),
  fc.integer().map((n): [string, unknown] => ['a random integer', n]),
  fc.double({ noNaN: true }).map((n): [string, unknown] => ['a random double', n]),
  fc
    .array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 })
    .map((a): [string, unknown] => ['an array where a value belongs', a]),
  fc
    .dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 })
    .map((o): [string, unknown] => ['an object where a value belongs', o]),
);

export class SchemaArbitraries {
  constructor(private readonly doc: OpenApiDocument) {}

  resolve(schema: Schema): Schema {
    let s = schema;
    for (let i = 0; s.$ref && i < 20; i++)
      s = this.doc.components?.schemas?.[s.$ref.replace('#/components/schemas/', '')] ?? {};
    return s;
  }

  /**
   * A small valid value of the schema: short safe strings, numbers at the low end of their range,
   * booleans false (so a value that is accepted never switches a fault on), arrays of at most two.
   */
  valid(schema: Schema, depth = 0): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    if (s.enum && s.enum.length > 0) return fc.constantFrom(...s.enum);
    if (s.oneOf && s.oneOf.length > 0) return fc.oneof(...s.oneOf.map((o) => this.valid(o, depth + 1)));
    if (s.allOf && s.allOf.length > 0) return this.valid(s.allOf[0], depth + 1);
    switch (s.type ?? 'object') {
      case 'string': {
        const min = s.minLength ?? 1;
        return fc.string({
          unit: fc.constantFrom(...SAFE_CHARS),
          minLength: min,
          maxLength: Math.max(min, Math.min(s.maxLength ?? 12, 12)),
        });
      }
      case 'number':
      case 'integer': {
        const lo = Math.ceil(s.minimum ?? 0);
        return fc.integer({ min: lo, max: Math.max(lo, Math.min(s.maximum ?? lo + 5, lo + 5)) });
      }
      case 'boolean':
        return fc.constant(false);
      case 'array': {
        const min = s.minItems ?? 0;
        return fc.array(depth > 4 || !s.items ? fc.constant('x') : this.valid(s.items, depth + 1), {
          minLength: min,
          maxLength: Math.max(min, Math.min(s.maxItems ?? 2, 2)),
        });
      }
      case 'object':
      default: {
        if (s.properties && Object.keys(s.properties).length > 0 && depth <= 4) {
          const shape = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, this.valid(v, depth + 1)]));
          return fc.record(shape, { requiredKeys: (s.required ?? []).filter((k) => k in shape) });
        }
        if (typeof s.additionalProperties === 'object' && depth <= 4) {
          return fc.dictionary(
            fc.string({ unit: fc.constantFrom(...SAFE_CHARS), minLength: 1, maxLength: 8 }),
            this.valid(s.additionalProperties, depth + 1),
            {
              maxKeys: 2,
            },
          );
        }
        return fc.jsonValue({ maxDepth: 2 });
      }
    }
  }

  private queryValue(param: Parameter): fc.Arbitrary<string> {
    return this.valid(param.schema ?? { type: 'string' }).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  }

  /** One request with at least one hostile part: in the body, a path parameter or a query parameter. */
  request(op: Operation): fc.Arbitrary<HostileRequest> {
    const pathParams = op.parameters.filter((p) => p.in === 'path');
    const queryParams = op.parameters.filter((p) => p.in === 'query');
    const targets = [
      ...(op.body ? ['body', 'raw'] : []),
      ...pathParams.map((p) => `path:${p.name}`),
      ...queryParams.map((p) => `query:${p.name}`),
    ];
    if (targets.length === 0) targets.push('body');
    const pathValues = fc.record(Object.fromEntries(pathParams.map((p) => [p.name, this.queryValue(p)])));
    const queryValues = fc.record(Object.fromEntries(queryParams.map((p) => [p.name, this.queryValue(p)])), {
      requiredKeys: queryParams.filter((p) => p.required).map((p) => p.name),
    });
    const hostileSegment = fc.oneof(
      fc.constantFrom(...HOSTILE_SEGMENTS.map(([what, segment]) => [what, segment] as [string, string])),
      hostileValue.map(([what, v]): [string, string] => [
        what,
        percentEncode(typeof v === 'string' ? v : (JSON.stringify(v) ?? 'undefined')).slice(0, 20_000),
      ]),
    );
    return fc
      .record({
        target: fc.constantFrom(...targets),
        body: op.body ? this.valid(op.body) : fc.constant(undefined),
        mutation: mutationOf(),
        pathValues,
        queryValues,
        segment: hostileSegment,
        raw: rawAttack(),
      })
      .map(({ target, body, mutation, pathValues: pv, queryValues: qv, segment, raw }) => {
        let attack = '';
        let sentBody: unknown = body;
        let rawBody: Buffer | undefined;
        const pathValuesOut: Record<string, string> = Object.fromEntries(
          Object.entries(pv).map(([k, v]) => [k, percentEncode(v)]),
        );
        const query: Array<[string, string]> = Object.entries(qv).map(([k, v]) => [k, percentEncode(v)]);
        if (target === 'body') {
          const mutated = mutation(body);
          sentBody = mutated.value;
          attack = `body: ${mutated.attack}`;
        } else if (target === 'raw') {
          const made = raw(body);
          rawBody = made.bytes;
          attack = `raw body: ${made.attack}`;
        } else if (target.startsWith('path:')) {
          pathValuesOut[target.slice(5)] = segment[1];
          attack = `path ${target.slice(5)} as ${segment[0]}`;
        } else {
          const name = target.slice(6);
          const others = query.filter(([k]) => k !== name);
          others.push([name, segment[1]]);
          query.splice(0, query.length, ...others);
          attack = `query ${name} as ${segment[0]}`;
        }
        const path = op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => pathValuesOut[name] ?? 'x');
        const qs = query.map(([k, v]) => `${k}=${v}`).join('&');
        return { method: op.method, path: qs ? `${path}?${qs}` : path, body: sentBody, raw: rawBody, attack };
      });
  }
}

/** encodeURIComponent, but total: a lone surrogate goes out as the bytes Node would send for it. */
function percentEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) && b < 0x80
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

type Mutation = (value: unknown) => { value: unknown; attack: string };

/** Every place inside a JSON value, as a path of keys and indexes (the root is []). */
function placesOf(
  value: unknown,
  at: Array<string | number> = [],
  out: Array<Array<string | number>> = [],
): Array<Array<string | number>> {
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => placesOf(v, [...at, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) placesOf(v, [...at, k], out);
  return out;
}

function setAt(
  root: unknown,
  at: Array<string | number>,
  change: (parent: Record<string | number, unknown>, key: string | number) => void,
): unknown {
  const copy = structuredClone(root);
  let parent = copy as Record<string | number, unknown>;
  for (const key of at.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  change(parent, at[at.length - 1]);
  return copy;
}

function mutationOf(): fc.Arbitrary<Mutation> {
  return fc
    .record({
      kind: fc.constantFrom('replace', 'replace', 'replace', 'delete', 'wrap-in-array', 'unknown-field'),
      place: fc.nat(),
      hostile: hostileValue,
    })
    .map(({ kind, place, hostile }) => (value: unknown) => {
      const places = placesOf(value);
      const at = places[place % places.length];
      const where = at.length ? at.join('.') : 'the body';
      if (at.length === 0) {
        if (kind === 'wrap-in-array') return { value: [value], attack: 'the body wrapped in an array' };
        if (kind === 'unknown-field' && value && typeof value === 'object' && !Array.isArray(value)) {
          return { value: { ...value, zz_unknown: hostile[1] }, attack: `an unknown field holding ${hostile[0]}` };
        }
        return { value: hostile[1], attack: `the body as ${hostile[0]}` };
      }
      switch (kind) {
        case 'delete':
          return {
            value: setAt(value, at, (p, k) => (Array.isArray(p) ? p.splice(Number(k), 1) : delete p[k])),
            attack: `${where} missing`,
          };
        case 'wrap-in-array':
          return { value: setAt(value, at, (p, k) => (p[k] = [p[k]])), attack: `${where} wrapped in an array` };
        case 'unknown-field':
        case 'replace':
        default:
          return { value: setAt(value, at, (p, k) => (p[k] = hostile[1])), attack: `${where} as ${hostile[0]}` };
      }
    });
}

/** Attacks on the bytes themselves: malformed JSON, invalid UTF-8, a NUL escape, deep arrays, a 2 MB body. */
function rawAttack(): fc.Arbitrary<(valid: unknown) => { bytes: Buffer; attack: string }> {
  return fc
    .constantFrom(
      'truncated',
      'invalid-utf8',
      'overlong-utf8',
      'deep',
      'huge',
      'nul-escape',
      'trailing-garbage',
      'big-literal',
      'duplicate-keys',
    )
    .map((kind) => (valid: unknown) => {
      const text = JSON.stringify(valid ?? {});
      switch (kind) {
        case 'truncated':
          return {
            bytes: Buffer.from(text.slice(0, Math.max(1, text.length - 2))),
            attack: 'malformed JSON (truncated)',
          };
        case 'invalid-utf8':
          return {
            bytes: Buffer.concat([Buffer.from('{"k":"'), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from('"}')]),
            attack: 'invalid UTF-8 bytes',
          };
        case 'overlong-utf8': {
          const m = /"([^"]*)"(?=\s*[,}\]])/.exec(text);
          const at = m ? m.index + m[0].length - 1 : 0;
          const bytes = m
            ? Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([0xc0, 0xaf]), Buffer.from(text.slice(at))])
            : Buffer.concat([Buffer.from('{"k":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]);
          return { bytes, attack: 'an overlong UTF-8 sequence in a string' };
        }
        case 'deep':
          return { bytes: Buffer.from('['.repeat(100_000) + ']'.repeat(100_000)), attack: '100,000 nested arrays' };
        case 'huge':
          return { bytes: Buffer.from(JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) })), attack: 'a 2 MB body' };
        case 'nul-escape':
          return {
            bytes: Buffer.from(text.replace(/"([^"]*)"(?=\s*[,}\]])/, '"$1\\u0000"')),
            attack: 'a \\u0000 escape in a string',
          };
        case 'trailing-garbage':
          return { bytes: Buffer.from(`${text} trailing`), attack: 'garbage after the JSON' };
        case 'big-literal':
          return {
            bytes: Buffer.from(text.replace(/(:\s*)(-?\d+(\.\d+)?)/, '$1123456789012345678901234567890')),
            attack: 'a 30-digit number literal',
          };
        case 'duplicate-keys':
        default:
          return {
            bytes: Buffer.from(text.replace(/^\{/, '{"__proto__":{"x":1},"constructor":{"prototype":{"y":1}},')),
            attack: '__proto__ and constructor keys',
          };
      }
    });
}
