import { buildConsole, ConsoleBrowser, openBrowser, openConsolePage } from '../console/console-kit';
import { Supervised, startSupervisor } from './process-kit';

// Evaluated in the page by playwright, where the DOM exists.
declare const document: {
  querySelectorAll(selector: string): ArrayLike<{ getAttribute(name: string): string | null }>;
};

interface Snapshot {
  lab: string;
  nodes: { node: string; up: boolean }[];
  strategies: unknown[];
}

/** Reads `state` events from the main port's console stream until `done` says enough (bounded). */
async function watch(url: string, done: (seen: Snapshot[]) => boolean, timeoutMs = 60_000): Promise<Snapshot[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const seen: Snapshot[] = [];
  try {
    const res = await fetch(url, { signal: abort.signal });
    expect(res.status).toBe(200);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = /^data: (.*)$/m.exec(block);
        if (/^event: state$/m.test(block) && data) seen.push(JSON.parse(data[1]) as Snapshot);
      }
      if (done(seen)) return seen;
    }
    throw new Error(`the stream ended; seen ${JSON.stringify(seen.map((s) => s.lab))}`);
  } catch (err) {
    if (abort.signal.aborted)
      throw new Error(`not seen within ${timeoutMs} ms: ${JSON.stringify(seen.map((s) => [s.lab, s.nodes]))}`);
    throw err;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

async function json<T = any>(res: Promise<Response>): Promise<{ status: number; body: T }> {
  const r = await res;
  return { status: r.status, body: (await r.json()) as T };
}

/**
 * Process mode: the main port's docs, console and experiments reach the process of the lab they
 * name (or merge every lab's), so each works for every lab, not only the first process's.
 */
describe('process mode: /docs, the console and experiments on the main port, for every lab', () => {
  let sup: Supervised;
  let browser: ConsoleBrowser | undefined;

  beforeAll(async () => {
    buildConsole();
    sup = await startSupervisor({ LABS: 'booking,bank' });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    if (sup?.child.exitCode === null) await sup.terminate();
  });

  it('the console stream carries the state of every lab, each from its own process', async () => {
    const seen = await watch(`${sup.url}/admin/console/events`, (s) =>
      ['booking', 'bank'].every((lab) => s.some((x) => x.lab === lab)),
    );
    for (const lab of ['booking', 'bank']) {
      const last = seen.filter((s) => s.lab === lab).pop()!;
      expect(last.nodes.every((n) => n.up)).toBe(true);
      expect(last.strategies.length).toBeGreaterThan(0);
    }
    const bankOnly = await watch(`${sup.url}/admin/console/events?labs=bank`, (s) => s.length > 0);
    expect(bankOnly[0].lab).toBe('bank');
    expect((await json(fetch(`${sup.url}/admin/console/events?labs=orders`))).body).toMatchObject({
      statusCode: 404,
      code: 'CONSOLE.UNKNOWN_LAB',
    });
    expect((await fetch(`${sup.url}/admin/console/events?labs=Bank!`)).status).toBe(400);
  });

  it("a lab's console state and refresh reach that lab's process", async () => {
    for (const lab of ['booking', 'bank']) {
      const state = await json<Snapshot>(fetch(`${sup.url}/admin/console/labs/${lab}/state`));
      expect(state).toMatchObject({ status: 200, body: { lab } });
      const refresh = await json(fetch(`${sup.url}/admin/console/labs/${lab}/refresh`, { method: 'POST' }));
      expect(refresh).toEqual({ status: 202, body: { refreshing: lab } });
    }
    expect((await json(fetch(`${sup.url}/admin/console/labs/orders/state`))).status).toBe(404);
  });

  it("a crashed lab's process shows down in the stream, and up again after its restart", async () => {
    const crashed = await fetch(`${sup.url}/admin/labs/bank/nodes/bank/crash`, { method: 'POST' });
    expect(crashed.status).toBe(200);
    const seen = await watch(`${sup.url}/admin/console/events?labs=bank,booking`, (s) => {
      const bank = s.filter((x) => x.lab === 'bank');
      const down = bank.findIndex((x) => x.nodes.every((n) => !n.up));
      return down >= 0 && bank.slice(down + 1).some((x) => x.nodes.every((n) => n.up));
    });
    expect(seen.some((s) => s.lab === 'booking')).toBe(true);
    await sup.waitUntil();
  });

  it('the experiments catalog lists every lab; an experiment of each lab runs in its process and is followed through the main port', async () => {
    const catalog = await json<{ labs: { lab: string }[] }>(fetch(`${sup.url}/admin/experiments/catalog`));
    expect(catalog.body.labs.map((l) => l.lab).sort()).toEqual(['bank', 'booking']);
    const ids: Record<string, string> = {};
    for (const body of [
      { lab: 'bank', strategy: 'safe', ops: 30, seed: 3 },
      { lab: 'booking', strategy: 'pessimistic', ops: 30, seed: 4 },
    ]) {
      const started = await json<{ id: string }>(
        fetch(`${sup.url}/admin/experiments`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
      );
      expect(started.status).toBe(202);
      ids[body.lab] = started.body.id;
    }
    for (const [lab, id] of Object.entries(ids)) {
      // The event stream of the run ends with `done`, carrying the judged document.
      const text = await (
        await fetch(`${sup.url}/admin/experiments/${id}/events`, { signal: AbortSignal.timeout(120_000) })
      ).text();
      const done = /event: done\ndata: (.*)\n/.exec(text);
      expect(done).not.toBeNull();
      expect(JSON.parse(done![1])).toMatchObject({ id, lab, status: 'valid' });
      const doc = await json(fetch(`${sup.url}/admin/experiments/${id}`));
      expect(doc).toMatchObject({ status: 200, body: { id, lab, status: 'valid' } });
      const history = await (await fetch(`${sup.url}/admin/experiments/${id}/history`)).text();
      expect(history.trim().split('\n').length).toBeGreaterThanOrEqual(30);
    }
    const list = await json<{ experiments: { id: string }[] }>(fetch(`${sup.url}/admin/experiments?limit=10`));
    expect(list.body.experiments.map((e) => e.id)).toEqual(expect.arrayContaining(Object.values(ids)));
    const bad = await json(
      fetch(`${sup.url}/admin/experiments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"lab":"nope"}',
      }),
    );
    expect(bad.status).toBe(400);
    expect((await json(fetch(`${sup.url}/admin/experiments/00000000-0000-4000-8000-000000000000`))).status).toBe(404);
  }, 240_000);

  it('in Chromium: /docs shows every lab, and the console pages of both labs are live', async () => {
    const init = await (await fetch(`${sup.url}/docs/swagger-ui-init.js`)).text();
    expect(init).toContain("url: '/docs-json'");
    browser = await openBrowser();
    const { page } = browser;
    await page.goto(`${sup.url}/docs`, { waitUntil: 'domcontentloaded' });
    await page.locator('[data-path="/bank/transfer"]').first().waitFor({ timeout: 60_000 });
    await page.locator('[data-path="/booking/book"]').first().waitFor();
    await openConsolePage(page, `${sup.url}/console/bank`);
    await page.locator('[data-testid^="account-"]').first().waitFor();
    await openConsolePage(page, `${sup.url}/console/booking`);
    await page.locator('[data-testid="seat-A1"]').waitFor();
    expect(await page.evaluate(() => document.querySelectorAll('[data-testid^="seat-"]').length)).toBeGreaterThan(0);
    expect(browser.errors).toEqual([]);
  }, 180_000);
});
