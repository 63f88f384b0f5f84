import { RunningApp } from '../../src/bootstrap';
import { startApp } from '../utils/app';
import { get, post } from '../utils/http';
import { buildConsole, ConsoleBrowser, openBrowser, openConsolePage, waitForAttribute } from './console-kit';

// Evaluated in the page by playwright, where the DOM exists.
declare const document: {
  querySelector(selector: string): any;
  activeElement: { getAttribute(name: string): string | null } | null;
  documentElement: { getAttribute(name: string): string | null };
};

const MAIN_PORT = String(Number(process.env.NODE_PORTS_SHIFT) + 9500);

describe('console: served by the app, live over SSE, and recovering by itself', () => {
  let app: RunningApp | undefined;
  let browser: ConsoleBrowser;

  beforeAll(async () => {
    buildConsole();
    app = await startApp({ LABS: 'booking', PORT: MAIN_PORT });
    browser = await openBrowser({
      allow: [/ERR_CONNECTION_REFUSED/, /status of 503/, /EventSource's response has a status 404/],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('serves the page for every console path (revalidated) and hashed assets cached for good', async () => {
    for (const path of ['/console', '/console/booking', '/console/experiments', '/console/experiments/some-run']) {
      const res = await fetch(`${app!.url}${path}`);
      expect({
        path,
        status: res.status,
        cache: res.headers.get('cache-control'),
        type: res.headers.get('content-type'),
      }).toEqual({
        path,
        status: 200,
        cache: 'no-cache',
        type: 'text/html; charset=utf-8',
      });
      expect(await res.text()).toContain('<div id="app">');
    }
    const html = await (await fetch(`${app!.url}/console`)).text();
    const script = /src="(\/console\/assets\/console-[A-Z0-9]+\.js)"/.exec(html)![1];
    const asset = await fetch(`${app!.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    const missing = await get(`${app!.url}/console/assets/console-NOPE.js`);
    expect([missing.status, missing.body.code]).toEqual([404, 'CONSOLE.ASSET_NOT_FOUND']);
    const traversal = await get(`${app!.url}/console/assets/..%2F..%2Fpackage.json`);
    expect(traversal.status).toBe(404);
  });

  it('answers bad stream requests with a 4xx naming the problem', async () => {
    const unknown = await get(`${app!.url}/admin/console/events?labs=bank`);
    expect([unknown.status, unknown.body.code]).toEqual([404, 'CONSOLE.UNKNOWN_LAB']);
    const bad = await get(`${app!.url}/admin/console/events?labs=Booking;drop`);
    expect([bad.status, bad.body.code]).toEqual([400, 'REQUEST.VALIDATION_FAILED']);
    const state = await get(`${app!.url}/admin/console/labs/booking/state`);
    expect(state.status).toBe(200);
    expect(state.body.nodes).toEqual([{ node: 'booking', up: true, crashed: false, crashes: 0 }]);
    expect(state.body.reads.seats.ok).toBe(true);
    expect((await post(`${app!.url}/admin/console/labs/counter/refresh`)).status).toBe(404);
  });

  it('pushes state as Server-Sent Events and bounds the number of streams', async () => {
    const controllers: AbortController[] = [];
    try {
      const first = new AbortController();
      controllers.push(first);
      const res = await fetch(`${app!.url}/admin/console/events?labs=booking`, { signal: first.signal });
      expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      const reader = res.body!.getReader();
      let text = '';
      while (!text.includes('event: state')) text += new TextDecoder().decode((await reader.read()).value);
      for (let i = 1; i < 32; i++) {
        const c = new AbortController();
        controllers.push(c);
        expect((await fetch(`${app!.url}/admin/console/events?labs=booking`, { signal: c.signal })).status).toBe(200);
      }
      const refused = await get(`${app!.url}/admin/console/events?labs=booking`);
      expect([refused.status, refused.body.code]).toEqual([503, 'CONSOLE.TOO_MANY_STREAMS']);
    } finally {
      for (const c of controllers) c.abort();
    }
  });

  it('is driven by keyboard alone, and switches between light and dark', async () => {
    const { page } = browser;
    await openConsolePage(page, `${app!.url}/console/booking`);
    await page.locator('[data-testid="seat-A1"]').waitFor();
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.getAttribute('data-testid') === 'attack');
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="attack-result"]').waitFor();
    const theme = page.locator('button[aria-label^="Theme:"]');
    expect(await theme.getAttribute('aria-label')).toBe('Theme: auto; change theme');
    await theme.focus();
    // Preact runs effects after paint: wait for the attribute rather than read it at once.
    const themeIs = (want: string | null) =>
      page.waitForFunction((w) => document.documentElement.getAttribute('data-theme') === w, want);
    await page.keyboard.press('Enter');
    await themeIs('light');
    await page.keyboard.press('Enter');
    await themeIs('dark');
    const background = await page.evaluate(
      () => (globalThis as any).getComputedStyle(document.querySelector('body')).backgroundColor as string,
    );
    expect(background).toBe('rgb(21, 23, 26)');
    await browser.screenshot('booking-dark');
    // The choice is kept across a reload; `auto` follows prefers-color-scheme again.
    await page.reload();
    await themeIs('dark');
    await page.locator('button[aria-label^="Theme:"]').click();
    await themeIs(null);
    expect(browser.errors).toEqual([]);
  });

  it('says so when the page is for a lab this app does not run', async () => {
    const { page } = browser;
    await page.goto(`${app!.url}/console/bank`);
    await page.locator('[data-testid="lab-absent"]').waitFor();
    await waitForAttribute(page, '[data-testid="connection"]', 'data-state', 'absent');
    expect(await page.locator('[data-testid="app-down"]').count()).toBe(0);
    expect(browser.errors).toEqual([]);
  });

  it('shows a crashed node as down and up again when it restarts by itself', async () => {
    const { page } = browser;
    await openConsolePage(page, `${app!.url}/console/booking`);
    await waitForAttribute(page, '[data-testid="node-booking"]', 'data-up', 'true');
    expect((await post(`${app!.url}/admin/labs/booking/nodes/booking/crash`)).status).toBe(200);
    await waitForAttribute(page, '[data-testid="node-booking"]', 'data-up', 'false');
    expect(await page.locator('[data-testid="node-booking"]').innerText()).toContain('booking down (crashed)');
    await browser.screenshot('node-down');
    await waitForAttribute(page, '[data-testid="node-booking"]', 'data-up', 'true', 15_000);
  });

  it('shows the app as down when it stops, and goes live again by itself when it is back', async () => {
    const { page } = browser;
    await waitForAttribute(page, '[data-testid="connection"]', 'data-state', 'live');
    await app!.close();
    app = undefined;
    await page.locator('[data-testid="app-down"]').waitFor();
    await waitForAttribute(page, '[data-testid="connection"]', 'data-state', 'down');
    await browser.screenshot('app-down');
    app = await startApp({ LABS: 'booking', PORT: MAIN_PORT });
    await waitForAttribute(page, '[data-testid="connection"]', 'data-state', 'live', 30_000);
    await page.locator('[data-testid="app-down"]').waitFor({ state: 'detached' });
    await page.locator('[data-testid="seat-A1"]').waitFor();
    expect(browser.errors).toEqual([]);
  });
});
