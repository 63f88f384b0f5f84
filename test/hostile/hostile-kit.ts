/**
 * Hostile probes: requests built to break a lab (wrong types, missing fields, NUL bytes, invalid
 * UTF-8, huge numbers and strings, deep nesting, unknown ids, oversized bodies, malformed JSON).
 * Each must be answered below 500 — a 4xx with a JSON `code` or a 2xx — and the lab must still
 * serve a normal request afterwards.
 */

export interface ProbeResult {
  probe: string;
  status: number;
  code?: string;
  body: string;
}

export interface Probe {
  name: string;
  method: string;
  path: string;
  /** Sent as is: a string or Buffer is the raw body, anything else is JSON.stringify'd. */
  body?: unknown;
  headers?: Record<string, string>;
}

export async function send(base: string, probe: Probe): Promise<ProbeResult> {
  const raw =
    probe.body === undefined
      ? undefined
      : typeof probe.body === 'string' || Buffer.isBuffer(probe.body)
        ? probe.body
        : JSON.stringify(probe.body);
  const res = await fetch(base + probe.path, {
    method: probe.method,
    headers: { 'content-type': 'application/json', ...probe.headers },
    body: raw as string | Uint8Array | undefined,
    signal: AbortSignal.timeout(90_000),
  });
  const text = await res.text();
  let code: string | undefined;
  try {
    const parsed = JSON.parse(text) as { code?: unknown };
    if (typeof parsed?.code === 'string') code = parsed.code;
  } catch {
    /* not JSON: the assertion shows the text */
  }
  return {
    probe: `${probe.method} ${probe.path.slice(0, 120)} ${probe.name}`,
    status: res.status,
    code,
    body: text.slice(0, 300),
  };
}

/** What a probe may answer: below 500, and every 4xx a JSON body with a `code`. */
export function verdict(result: ProbeResult): string | undefined {
  if (result.status >= 500) return `${result.probe} → ${result.status} ${result.body}`;
  if (result.status >= 400 && !result.code)
    return `${result.probe} → ${result.status} without a JSON code: ${result.body}`;
  return undefined;
}

const HUGE_STRING = 'x'.repeat(100_000);
const NUL = 'a\u0000b';
const LONE_SURROGATE = 'a\uD800b';

function deep(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { a: [value] };
  return value;
}

/** Values of the wrong kind for a field whose valid value is `valid`. */
function wrongValues(valid: unknown): Array<[string, unknown]> {
  const values: Array<[string, unknown]> = [
    ['null', null],
    ['an array', [valid]],
    ['an object', { value: valid }],
    ['deep nesting', deep(40)],
  ];
  if (typeof valid === 'string') {
    values.push(
      ['a number', 12345],
      ['a boolean', true],
      ['a NUL byte', NUL],
      ['a lone surrogate', LONE_SURROGATE],
      ['a 100k string', HUGE_STRING],
      ['an empty string', ''],
    );
  } else if (typeof valid === 'number') {
    values.push(
      ['a string', 'NaN'],
      ['a boolean', false],
      ['-1', -1],
      ['a fraction', 0.5],
      ['2^53', 2 ** 53],
      ['-(2^53 - 1)', -Number.MAX_SAFE_INTEGER],
      ['1e308', 1e308],
      ['-1e308', -1e308],
    );
  } else if (typeof valid === 'boolean') {
    values.push(['a string', 'yes please'], ['a number', 2]);
  } else {
    values.push(['a string', NUL], ['a number', 2 ** 53]);
  }
  return values;
}

/** Every single-field mutation of a valid JSON body, plus whole-body attacks. */
export function bodyProbes(
  method: string,
  path: string,
  valid: Record<string, unknown>,
  headers?: Record<string, string>,
): Probe[] {
  const probes: Probe[] = [];
  for (const [field, value] of Object.entries(valid)) {
    const { [field]: _dropped, ...rest } = valid;
    probes.push({ name: `without ${field}`, method, path, body: rest, headers });
    for (const [what, wrong] of wrongValues(value))
      probes.push({ name: `${field} as ${what}`, method, path, body: { ...valid, [field]: wrong }, headers });
  }
  const text = JSON.stringify(valid);
  probes.push(
    { name: 'an unknown field', method, path, body: { ...valid, zz_unknown: 1 }, headers },
    { name: 'a __proto__ key', method, path, body: `{"__proto__":{"polluted":true},${text.slice(1)}`, headers },
    { name: 'an array body', method, path, body: [valid], headers },
    { name: 'a string body', method, path, body: '"just a string"', headers },
    { name: 'a number body', method, path, body: '12345', headers },
    { name: 'null body', method, path, body: 'null', headers },
    { name: 'deeply nested body', method, path, body: '['.repeat(50_000) + ']'.repeat(50_000), headers },
    { name: 'malformed JSON', method, path, body: text.slice(0, -2), headers },
    { name: 'a number beyond a double', method, path, body: text.replace(/:\s*(-?\d+(\.\d+)?)/, ':1e400'), headers },
    { name: 'a 2^53+1 literal', method, path, body: text.replace(/:\s*(-?\d+(\.\d+)?)/, ':9007199254740993'), headers },
    {
      name: 'invalid UTF-8 bytes',
      method,
      path,
      body: Buffer.concat([Buffer.from(text.slice(0, -1)), Buffer.from(',"zz":"\xff\xfe"}', 'latin1')]),
      headers,
    },
    {
      name: 'a string with invalid UTF-8',
      method,
      path,
      body: Buffer.from(text.replace(/"([^"]+)"(?=\s*[,}])/, '"$1\xc3\x28"'), 'latin1'),
      headers,
    },
    {
      name: 'a 2 MB body',
      method,
      path,
      body: JSON.stringify({ ...valid, pad: 'x'.repeat(2 * 1024 * 1024) }),
      headers,
    },
    {
      name: 'a form content type',
      method,
      path,
      body: text,
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    },
    { name: 'an empty body', method, path, body: '', headers },
  );
  return probes;
}

/** Hostile path segments and query values in place of `{param}` or a query value. */
export const HOSTILE_SEGMENTS: Array<[string, string]> = [
  ['a NUL byte', 'a%00b'],
  ['invalid UTF-8', '%FF%FE'],
  ['an overlong UTF-8 encoding', '%C0%AF'],
  ['a malformed percent-encoding', '%zz'],
  ['a 10k segment', 'y'.repeat(10_000)],
  ['2^63', '9223372036854775808'],
  ['a negative number', '-1'],
  ['an unknown id', 'does-not-exist-4242'],
  ['dot segments', '..%2F..%2Fetc'],
  ['unicode', '%E2%98%83'],
];

export function pathProbes(method: string, template: string): Probe[] {
  return HOSTILE_SEGMENTS.map(([what, segment]) => ({
    name: `path as ${what}`,
    method,
    path: template.replace(/\{[^}]+\}/, segment),
  }));
}

export function queryProbes(method: string, path: string, params: string[]): Probe[] {
  return params.flatMap((param) => [
    ...HOSTILE_SEGMENTS.map(([what, value]) => ({
      name: `?${param} as ${what}`,
      method,
      path: `${path}?${param}=${value}`,
    })),
    { name: `?${param} repeated`, method, path: `${path}?${param}=1&${param}=2` },
    { name: `?${param} as 1e400`, method, path: `${path}?${param}=1e400` },
    { name: `?${param} empty`, method, path: `${path}?${param}=` },
  ]);
}
