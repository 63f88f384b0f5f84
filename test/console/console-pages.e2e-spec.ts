import { RunningApp } from '../../src/bootstrap';
import { startApp } from '../utils/app';
import { buildConsole, ConsoleBrowser, openBrowser, openConsolePage } from './console-kit';

/** What each page shows once its first pushed state has arrived. */
const PAGES: Array<[string, string]> = [
  ['/console', '[data-testid="card-orders"] .badge.ok'],
  ['/console/booking', '[data-testid="seat-J10"]'],
  ['/console/bank', '[data-testid="account-charlie"]'],
  ['/console/orders', '[data-testid="node-consumer"]'],
  ['/console/counter', '[data-testid="region-eu-west"] table'],
  ['/console/replication', '[data-testid="replica-replica2"] .badge'],
];

describe('console: every page with every lab running, in light and dark', () => {
  let app: RunningApp;
  let browser: ConsoleBrowser;

  beforeAll(async () => {
    buildConsole();
    app = await startApp({ LABS: 'all' });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it.each(['light', 'dark'] as const)('opens each page without a page error (%s)', async (scheme) => {
    browser = await openBrowser({ colorScheme: scheme });
    const { page } = browser;
    for (const [path, ready] of PAGES) {
      await openConsolePage(page, `${app.url}${path}`);
      await page.locator(ready).first().waitFor();
      // Node badges say up for every node of the lab.
      if (path !== '/console') expect(await page.locator('[data-up="false"]').count()).toBe(0);
      await browser.screenshot(`page-${path.split('/').pop()}-${scheme}`);
    }
    await page.goto(`${app.url}/console/experiments`);
    await page.locator('[data-testid="exp-lab"] option').first().waitFor({ state: 'attached' });
    await page.goto(`${app.url}/console/no-such-page`);
    await page.locator('h1', { hasText: 'Not found' }).waitFor();
    expect(browser.errors).toEqual([]);
    await browser.close();
  });
});
