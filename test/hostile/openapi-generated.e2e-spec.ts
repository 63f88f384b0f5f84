import fc from 'fast-check';
import { BuiltApp, buildApp, builtOpenApiDocument, startBuiltApp } from './built-app';
import { OpenApiDocument, Operation, SchemaArbitraries, writeOperations } from './openapi-arbitraries';

/** Fixed, so a failure replays exactly; HOSTILE_SEED=<n> replays another run. */
const SEED = Number(process.env.HOSTILE_SEED ?? 20261201);
const RUNS_PER_OPERATION = Number(process.env.HOSTILE_RUNS ?? 16);
/** HOSTILE_OPS=<regex> runs only the matching operations (each keeps its own seed). */
const ONLY = process.env.HOSTILE_OPS ? new RegExp(process.env.HOSTILE_OPS) : undefined;
/**
 * Crashing or restarting a node is what these do when the input is valid; the probe suite sends them refused shapes only.
 * So are the replication lab's engine switch and standby faults: valid, they would cut off or pause the PostgreSQL
 * standbys that every local run shares (ports 5433–5435), with nobody left to heal them.
 */
const SKIPPED = /\/crash$|\/restart$|\/admin\/standby\/[a-z-]+$|\/admin\/replication-engine$/;

/** Each operation's own seed, from SEED and its method and path: adding an endpoint changes no other's requests. */
function seedOf(op: Operation): number {
  let hash = 0x811c9dc5;
  for (const ch of `${op.method} ${op.path}`) hash = Math.imul(hash ^ ch.charCodeAt(0), 0x01000193);
  return (SEED ^ hash) >>> 0;
}

/**
 * A generated pass over every write operation of the OpenAPI document that the built app serves:
 * fast-check draws, from each operation's own request schema, a small valid request and makes one
 * part of it hostile (a wrong type, a missing field, a huge string, a NUL byte, deep nesting,
 * ±2^53, an array where an object belongs, malformed bytes, a hostile path or query value).
 * Every answer must be below 500, and every 4xx a JSON body with a `code`.
 */
describe('generated hostile requests over every write operation in /docs-json', () => {
  let app: BuiltApp;
  let operations: Operation[];
  let arbitraries: SchemaArbitraries;

  beforeAll(async () => {
    buildApp();
    const doc = builtOpenApiDocument() as OpenApiDocument;
    operations = writeOperations(doc).filter((op) => !SKIPPED.test(op.path));
    arbitraries = new SchemaArbitraries(doc);
    app = await startBuiltApp({});
    // The served document is the one generated offline from the same build.
    const served = (await (await fetch(`${app.url}/docs-json`)).json()) as OpenApiDocument;
    expect(writeOperations(served).map((o) => `${o.method} ${o.path}`)).toEqual(
      writeOperations(doc).map((o) => `${o.method} ${o.path}`),
    );
  }, 600_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('answers every one below 500, every 4xx as JSON with a code', async () => {
    process.stdout.write(
      `generated pass: seed ${SEED}, ${operations.length} write operations, ${RUNS_PER_OPERATION} requests each\n`,
    );
    expect(operations.length).toBeGreaterThan(50);
    const withSchemas = operations.filter(
      (op) => op.body && Object.keys(arbitraries.resolve(op.body).properties ?? {}).length > 0,
    );
    expect(withSchemas.length).toBeGreaterThan(20);

    const failures: string[] = [];
    const statuses = new Map<string, number>();
    let sent = 0;
    for (const op of operations) {
      if (ONLY && !ONLY.test(`${op.method} ${op.path}`)) continue;
      const requests = fc.sample(arbitraries.request(op), { seed: seedOf(op), numRuns: RUNS_PER_OPERATION });
      for (const req of requests) {
        const body = req.raw ?? (req.body === undefined ? undefined : JSON.stringify(req.body));
        const slow = setTimeout(
          () =>
            process.stdout.write(
              `still waiting after 30 s: ${req.method} ${req.path.slice(0, 200)} [${req.attack}] ${String(body).slice(0, 300)}\n`,
            ),
          30_000,
        );
        const res = await fetch(app.url + req.path, {
          method: req.method,
          headers: { 'content-type': 'application/json' },
          body: body as string | Uint8Array | undefined,
          signal: AbortSignal.timeout(90_000),
        }).catch((err: Error) => ({ status: 599, text: () => Promise.resolve(`no answer: ${err.message}`) }));
        const text = await res.text();
        clearTimeout(slow);
        sent++;
        const family = `${String(res.status)[0]}xx`;
        statuses.set(family, (statuses.get(family) ?? 0) + 1);
        let code: unknown;
        try {
          code = (JSON.parse(text) as { code?: unknown }).code;
        } catch {
          code = undefined;
        }
        const what = `${req.method} ${req.path.slice(0, 150)} [${req.attack}] → ${res.status} ${text.slice(0, 200)}`;
        if (res.status >= 500) failures.push(what);
        else if (res.status >= 400 && typeof code !== 'string') failures.push(`${what} (no JSON code)`);
      }
    }
    process.stdout.write(
      `generated pass: ${sent} requests, ${[...statuses].map(([k, v]) => `${k} ${v}`).join(', ')}, ${failures.length} failures (seed ${SEED})\n`,
    );
    if (failures.length > 0) process.stdout.write(`server log tail:\n${app.stderr().slice(-6000)}\n`);
    expect(failures).toEqual([]);
  }, 600_000);
});
