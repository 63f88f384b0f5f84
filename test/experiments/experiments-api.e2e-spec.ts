import type { RunningApp } from '../../src/bootstrap';
import type { ExperimentDocument, HistoryOp } from '../../src/platform/experiments/experiment.contract';
import { startApp } from '../utils/app';
import { eventually } from '../utils/concurrency';
import { get, post } from '../utils/http';
import { ExperimentClient, withDatabase } from './experiment-client';

async function metric(base: string, line: RegExp): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const found = text.split('\n').find((l) => line.test(l));
  return found ? Number(found.split(' ').pop()) : 0;
}

/** Reads an SSE stream to its end: [event, data] pairs. */
async function readEvents(url: string): Promise<Array<[string, unknown]>> {
  const res = await fetch(url);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => /^event: /m.test(block))
    .map((block) => [/^event: (.*)$/m.exec(block)![1], JSON.parse(/^data: (.*)$/m.exec(block)![1])]);
}

describe('experiments API (LABS=booking,bank)', () => {
  let app: RunningApp;
  let experiments: ExperimentClient;

  beforeAll(async () => {
    app = await startApp({ LABS: 'booking,bank' });
    experiments = new ExperimentClient(app.url);
  });
  afterAll(() => app?.close());

  it('serves the catalog: workloads, nemeses by name, params, defaults and expectations per strategy', async () => {
    const { status, body } = await get(`${app.url}/admin/experiments/catalog`);
    expect(status).toBe(200);
    expect(body.labs.map((l: { lab: string }) => l.lab)).toEqual(['bank', 'booking']);
    const booking = body.labs.find((l: { lab: string }) => l.lab === 'booking');
    expect(booking).toMatchObject({
      defaultStrategy: 'none',
      defaultNemesis: 'none',
      defaults: { concurrency: 6, ops: 240 },
    });
    expect(booking.nemeses).toContainEqual({ name: 'pause-lock-holder', description: expect.any(String) });
    expect(booking.expectations).toContainEqual({
      strategy: 'distributed',
      nemesis: 'pause-lock-holder',
      expected: 'invalid',
    });
    const docs = await get(`${app.url}/docs-json`);
    for (const path of [
      '/admin/experiments',
      '/admin/experiments/catalog',
      '/admin/experiments/{id}',
      '/admin/experiments/{id}/history',
      '/admin/experiments/{id}/history.edn',
      '/admin/experiments/{id}/events',
    ]) {
      expect(docs.body.paths[path]).toBeDefined();
    }
  });

  it.each([
    [{ lab: 'nope' }, 400, 'EXPERIMENT.UNKNOWN_LAB'],
    [{ lab: 'booking', strategy: 'telepathy' }, 400, 'EXPERIMENT.UNKNOWN_STRATEGY'],
    [{ lab: 'bank', nemesis: 'meteor' }, 400, 'EXPERIMENT.UNKNOWN_NEMESIS'],
    [{ lab: 'bank', nemesis: [{ at_ms: 0, fault: 'meteor', duration_ms: 10 }] }, 400, 'EXPERIMENT.UNKNOWN_FAULT'],
    [{ lab: 'booking', concurrency: 65, duration_ms: 10 }, 400, 'REQUEST.VALIDATION_FAILED'],
    [{ lab: 'booking', shoe_size: 44 }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['not json at all', 400, 'REQUEST.MALFORMED_JSON'],
  ])('POST %j → %i %s, nothing started', async (body, status, code) => {
    const before = (await get(`${app.url}/admin/experiments?limit=200`)).body.experiments.length;
    const res = await post(`${app.url}/admin/experiments`, body);
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ statusCode: status, code });
    expect((await get(`${app.url}/admin/experiments?limit=200`)).body.experiments.length).toBe(before);
  });

  it('answers 400 for an id that is no UUID and 404 for an unknown one, as JSON', async () => {
    expect((await get(`${app.url}/admin/experiments/12`)).body).toMatchObject({
      statusCode: 400,
      code: 'REQUEST.VALIDATION_FAILED',
    });
    for (const suffix of ['', '/history', '/history.edn', '/events']) {
      const res = await get(`${app.url}/admin/experiments/00000000-0000-4000-8000-000000000000${suffix}`);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ code: 'EXPERIMENT.NOT_FOUND' });
    }
  });

  it('streams a run live over SSE (op, progress, done), then serves its history as JSON lines and EDN', async () => {
    const okBefore = await metric(app.url, /^experiment_ops_total\{lab="bank",type="ok"\}/);
    const doneBefore = await metric(app.url, /^experiments_total\{lab="bank",strategy="safe",outcome="valid"\}/);
    const id = await experiments.start({ lab: 'bank', strategy: 'safe', nemesis: 'delay', ops: 60, seed: 9 });
    const events = await readEvents(`${app.url}/admin/experiments/${id}/events`);
    const done = events[events.length - 1];
    expect(done[0]).toBe('done');
    const doc = done[1] as ExperimentDocument;
    expect(doc.status).toBe('valid');
    const ops = events.filter(([e]) => e === 'op').map(([, op]) => op as HistoryOp);
    expect(ops.map((op) => op.index)).toEqual(ops.map((_, i) => i));
    expect(ops.length).toBe(doc.ops_recorded);

    const history = await experiments.history(id);
    expect(history).toEqual(ops);
    // Every completion follows an invoke of the same process; the nemesis started and healed the delay.
    const open = new Map<string, HistoryOp>();
    for (const op of history) {
      const key = String(op.process);
      if (op.type === 'invoke') {
        expect(open.has(key)).toBe(false);
        open.set(key, op);
      } else {
        expect(open.get(key)?.f).toBe(op.f);
        open.delete(key);
      }
    }
    expect(history.filter((op) => op.process === 'nemesis').map((op) => `${op.f}:${op.type}`)).toEqual([
      'start:invoke',
      'start:ok',
      'stop:invoke',
      'stop:ok',
    ]);

    const edn = (await (await fetch(`${app.url}/admin/experiments/${id}/history.edn`)).text()).trim().split('\n');
    expect(edn).toHaveLength(history.length);
    for (const line of edn)
      expect(line).toMatch(
        /^\{:type :(invoke|ok|fail|info), :f :[a-z]+, :value .*, :process (\d+|:nemesis), :time \d+, :index \d+/,
      );
    const transfer = edn.find((l) => l.includes(':type :invoke, :f :transfer'))!;
    for (const key of [':from "', ':to "', ':amount ']) expect(transfer).toContain(key);

    // Replayed from PostgreSQL once finished.
    const replay = await readEvents(`${app.url}/admin/experiments/${id}/events`);
    expect(replay.filter(([e]) => e === 'op')).toHaveLength(history.length);
    expect(replay[replay.length - 1][0]).toBe('done');

    expect(await metric(app.url, /^experiment_ops_total\{lab="bank",type="ok"\}/)).toBeGreaterThan(okBefore);
    expect(await metric(app.url, /^experiments_total\{lab="bank",strategy="safe",outcome="valid"\}/)).toBe(
      doneBefore + 1,
    );
    const listed = (await get(`${app.url}/admin/experiments?lab=bank&limit=5`)).body.experiments;
    expect(listed[0]).toMatchObject({ id, status: 'valid', lab: 'bank' });
  });

  it('runs one experiment per lab at a time (409), and a shutdown aborts a run and heals its faults', async () => {
    const id = await experiments.start({
      lab: 'booking',
      strategy: 'distributed',
      nemesis: 'pause-lock-holder',
      ops: 5000,
      rate: 20,
      duration_ms: 120000,
    });
    const busy = await post(`${app.url}/admin/experiments`, { lab: 'booking' });
    expect(busy.status).toBe(409);
    expect(busy.body).toMatchObject({ code: 'EXPERIMENT.LAB_BUSY', details: { running: id } });
    // The other lab may still run meanwhile.
    const bank = await experiments.start({ lab: 'bank', strategy: 'safe', ops: 20, seed: 1 });
    expect((await experiments.finished(bank)).status).toBe('valid');

    await eventually(
      () => experiments.document(id),
      (d) => d.ops_recorded > 10,
      { timeoutMs: 20000 },
    );
    await eventually(
      async () => (await get(`${app.url}/booking/admin/faults`)).body.pause_holder.remaining,
      (remaining: number) => remaining > 0,
      { timeoutMs: 10000, intervalMs: 50 },
    ).catch(() => undefined); // a pause may already have been taken; the heal below is checked either way
    await app.close();
    const row = await withDatabase(
      app.config.env.DATABASE_URL,
      async (db) =>
        (await db.query('SELECT status, reason, verdict FROM experiments.experiments WHERE id = $1', [id])).rows[0],
    );
    expect(row).toMatchObject({ status: 'aborted', verdict: null, reason: 'the app is shutting down' });
    app = await startApp({ LABS: 'booking,bank' });
    experiments = new ExperimentClient(app.url);
    expect((await get(`${app.url}/booking/admin/faults`)).body.pause_holder.remaining).toBe(0);
    expect((await get(`${app.url}/booking/admin/settings`)).body.lock_ttl_ms).toBe(5000);
    expect((await experiments.document(id)).status).toBe('aborted');
  });
});

describe('experiment event streams cut by REQUEST_TIMEOUT_MS resume after the last op', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({ LABS: 'bank', REQUEST_TIMEOUT_MS: '1000' });
  });
  afterAll(() => app?.close());

  /** Reads what one connection gets before the app cuts it (or the run ends). */
  async function readUntilCut(url: string, lastEventId?: number): Promise<{ ids: number[]; done: boolean }> {
    const res = await fetch(url, {
      headers: lastEventId === undefined ? {} : { 'last-event-id': String(lastEventId) },
    });
    expect(res.status).toBe(200);
    const text = await res.text().catch(() => ''); // a cut stream may end in an error: keep what arrived
    const blocks = text.split('\n\n');
    const ids = blocks.filter((b) => b.includes('event: op')).map((b) => Number(/^id: (\d+)$/m.exec(b)![1]));
    return { ids, done: blocks.some((b) => b.startsWith('event: done')) };
  }

  it('a reconnect with Last-Event-ID gets every later op exactly once, and ?after= does the same', async () => {
    const experiments = new ExperimentClient(app.url);
    const id = await experiments.start({
      lab: 'bank',
      strategy: 'safe',
      nemesis: 'delay',
      ops: 80,
      concurrency: 2,
      seed: 3,
    });
    const url = `${app.url}/admin/experiments/${id}/events`;
    const seen: number[] = [];
    let connections = 0;
    for (let done = false; !done && connections < 60; connections++) {
      const part = await readUntilCut(url, seen.length ? seen[seen.length - 1] : undefined);
      seen.push(...part.ids);
      done = part.done;
    }
    expect(connections).toBeGreaterThan(1); // the run outlived the 1 s timeout: the stream was cut and resumed
    const history = await experiments.history(id);
    expect(seen).toEqual(history.map((op) => op.index));

    const tail = await readUntilCut(`${url}?after=${history.length - 5}`);
    expect(tail).toEqual({ ids: history.slice(-4).map((op) => op.index), done: true });
    expect((await get(`${url}?after=x`)).status).toBe(400);
  });
});
