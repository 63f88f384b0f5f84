import { RunningApp } from '../../src/bootstrap';
import { startApp } from '../utils/app';
import {
  attack,
  buildConsole,
  ConsoleBrowser,
  openBrowser,
  openConsolePage,
  selectStrategy,
  waitForAttribute,
} from './console-kit';

// Evaluated in the page by playwright, where the DOM exists.
declare const document: {
  querySelector(selector: string): any;
  querySelectorAll(selector: string): ArrayLike<unknown>;
};

describe('console: counter page in a real browser', () => {
  let app: RunningApp;
  let browser: ConsoleBrowser;

  beforeAll(async () => {
    buildConsole();
    app = await startApp({ LABS: 'counter' });
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });
  afterEach(() => expect(browser.errors).toEqual([]));

  it('max-of-totals: with us-east cut off the global count misses its increments; the region shows the cut', async () => {
    const { page } = browser;
    await openConsolePage(page, `${app.url}/console/counter`);
    await page.locator('[data-testid="region-us-east"]').waitFor();
    await selectStrategy(page, 'max-of-totals');
    await attack(page);
    expect(await page.locator('[data-testid="global-count"]').innerText()).toBe('7');
    expect(await page.locator('[data-testid="undercount"]').innerText()).toContain('5 acknowledged increments missing');
    // Pushed state: us-east's partition switch is on, the regions disagree, and the lag is visible.
    await page.waitForFunction(
      () =>
        (document.querySelector('[data-testid="partition-us-east"]') as { checked?: boolean } | null)?.checked === true,
    );
    await waitForAttribute(page, '[data-testid="region-us-east"]', 'class', 'region cut');
    expect(await page.locator('[data-testid="converged"]').innerText()).toContain('no');
    await browser.screenshot('counter-unsafe');
    await page.locator('[data-testid="heal"]').click();
    await page.waitForFunction(
      () =>
        (document.querySelector('[data-testid="partition-us-east"]') as { checked?: boolean } | null)?.checked ===
        false,
    );
    await page.locator('[data-testid="count-exact"]').waitFor();
    expect(await page.locator('[data-testid="global-count"]').innerText()).toBe('12');
    await page.locator('[data-testid="converged"]', { hasText: 'yes' }).waitFor();
  });

  it('crdt-merge: the same partition, three times, counts every acknowledged increment', async () => {
    const { page } = browser;
    await selectStrategy(page, 'crdt-merge');
    for (let round = 0; round < 3; round++) {
      await attack(page);
      expect(await page.locator('[data-testid="global-count"]').innerText()).toBe('12');
      await page.locator('[data-testid="count-exact"]').waitFor();
      if (round === 0) await browser.screenshot('counter-safe');
      await page.locator('[data-testid="heal"]').click();
      await page.waitForFunction(
        () =>
          (document.querySelector('[data-testid="partition-us-east"]') as { checked?: boolean } | null)?.checked ===
          false,
      );
    }
  });
});
