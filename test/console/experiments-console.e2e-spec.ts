import { RunningApp } from '../../src/bootstrap';
import { startApp } from '../utils/app';
import { get } from '../utils/http';
import { buildConsole, ConsoleBrowser, openBrowser } from './console-kit';

// Evaluated in the page by playwright, where the DOM exists.
declare const document: {
  querySelector(selector: string): any;
  querySelectorAll(selector: string): ArrayLike<unknown>;
};

describe('console: an experiment end to end in a real browser', () => {
  let app: RunningApp;
  let browser: ConsoleBrowser;

  beforeAll(async () => {
    buildConsole();
    app = await startApp({ LABS: 'booking' });
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });
  afterEach(() => expect(browser.errors).toEqual([]));

  it('starts a booking run without locking from the catalog, watches it live, and highlights a double booking on the timeline', async () => {
    const { page } = browser;
    await page.goto(`${app.url}/console/experiments`);
    await page.locator('[data-testid="exp-lab"]').selectOption('booking');
    await page.locator('[data-testid="exp-strategy"]').selectOption('none');
    await page.locator('[data-testid="exp-nemesis"]').selectOption('none');
    await page.locator('[data-testid="exp-seed"]').fill('7');
    await page.locator('[data-testid="exp-ops"]').fill('300');
    await page.locator('[data-testid="exp-start"]').click();
    await page.waitForURL(/\/console\/experiments\/[0-9a-f-]{36}$/);
    const id = page.url().split('/').pop()!;

    // Live: bars appear while the run is going.
    await page.locator('[data-testid="exp-status"]', { hasText: 'running' }).waitFor();
    await page.locator('[data-testid="timeline"] [data-op]').first().waitFor();
    await browser.screenshot('experiment-running');

    await page.locator('[data-testid="exp-status"]', { hasText: 'invalid' }).waitFor({ timeout: 90_000 });
    const doc = (await get(`${app.url}/admin/experiments/${id}`)).body;
    expect(doc.status).toBe('invalid');
    const double = (doc.verdict.anomalies as Array<{ type: string; explanation: string; ops: number[] }>).find(
      (a) => a.type === 'double-booking',
    )!;
    expect(double).toBeDefined();

    // Every op of the history is drawn, and the anomalous ones are marked.
    const history = (await (await fetch(`${app.url}/admin/experiments/${id}/history`)).text()).trim().split('\n');
    const clientInvokes = history
      .map((l) => JSON.parse(l))
      .filter((op) => op.type === 'invoke' && op.process !== 'nemesis');
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid="timeline"] [data-op]').length === n,
      clientInvokes.length,
    );
    expect(await page.locator('[data-testid="timeline"] [data-anomalous="true"]').count()).toBeGreaterThan(0);

    // The explanation is beside the picture; clicking the anomaly highlights its operations.
    const item = page.locator('[data-testid="anomalies"] li', { hasText: double.explanation }).first();
    await item.locator('button', { hasText: 'double-booking' }).click();
    const selected = page.locator('[data-testid="timeline"] [data-selected="true"]');
    await selected.first().waitFor();
    const selectedOps = await selected.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
    expect(selectedOps.length).toBeGreaterThanOrEqual(1);
    expect(selectedOps.every((label) => label.includes('part of an anomaly'))).toBe(true);
    expect(selectedOps.join('\n')).toMatch(/book .* → ok/);
    expect(await page.locator('[data-testid="op-detail"]').innerText()).toMatch(/^op \d+→\d+: process \d+ book/);
    // The op links are keyboard-reachable buttons.
    await item.locator('.op-links button').last().focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      (op) =>
        new RegExp(`^op (${op}→\\d+|\\d+→${op}):`).test(
          document.querySelector('[data-testid="op-detail"]')?.textContent ?? '',
        ),
      double.ops[double.ops.length - 1],
    );
    await browser.screenshot('experiment-anomaly');

    // Downloads: the JSON lines and the EDN export.
    const json = await page.locator('a', { hasText: 'history JSON' }).getAttribute('href');
    const edn = await page.locator('a', { hasText: 'history EDN' }).getAttribute('href');
    expect((await fetch(`${app.url}${json}`)).status).toBe(200);
    const ednText = await (await fetch(`${app.url}${edn}`)).text();
    expect(ednText.split('\n')[0]).toMatch(/^\{.*:type :invoke/);
  });
  it('fenced under the pause-lock-holder nemesis: fault windows shaded on the timeline, a valid verdict, nothing highlighted', async () => {
    const { page } = browser;
    await page.goto(`${app.url}/console/experiments`);
    await page.locator('[data-testid="exp-lab"]').selectOption('booking');
    await page.locator('[data-testid="exp-strategy"]').selectOption('fenced');
    await page.locator('[data-testid="exp-nemesis"]').selectOption('pause-lock-holder');
    await page.locator('[data-testid="exp-seed"]').fill('3');
    await page.locator('[data-testid="exp-ops"]').fill('200');
    await page.locator('[data-testid="exp-start"]').click();
    await page.waitForURL(/\/console\/experiments\/[0-9a-f-]{36}$/);
    const id = page.url().split('/').pop()!;
    await page.locator('[data-testid="exp-status"]:not(:has-text("running"))').waitFor({ timeout: 90_000 });
    const doc = (await get(`${app.url}/admin/experiments/${id}`)).body;
    expect(doc.status).toBe('valid');
    expect(await page.locator('[data-testid="exp-status"]').innerText()).toContain('valid');
    const history = (await (await fetch(`${app.url}/admin/experiments/${id}/history`)).text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const faults = history.filter((op) => op.process === 'nemesis' && op.f === 'start' && op.type === 'invoke').length;
    expect(faults).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="nemesis-window"]').count()).toBe(faults);
    expect(await page.locator('[data-testid="timeline"] [data-anomalous="true"]').count()).toBe(0);
    expect(await page.locator('[data-testid="anomalies"] li').count()).toBe(0);
    await browser.screenshot('experiment-nemesis');
  });
});
