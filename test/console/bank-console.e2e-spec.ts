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

describe('console: bank page in a real browser', () => {
  let app: RunningApp;
  let browser: ConsoleBrowser;

  beforeAll(async () => {
    buildConsole();
    app = await startApp({ LABS: 'bank' });
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });
  afterEach(() => expect(browser.errors).toEqual([]));

  it('vulnerable: two $800 transfers both pass the check, alice is shown below zero while the total holds', async () => {
    const { page } = browser;
    await openConsolePage(page, `${app.url}/console/bank`);
    await page.locator('[data-testid="account-alice"]').waitFor();
    await selectStrategy(page, 'vulnerable');
    await attack(page);
    await waitForAttribute(page, '[data-testid="invariants"]', 'data-ok', 'false');
    expect(await page.locator('[data-testid="negative-balance"]').innerText()).toContain('alice at $-600');
    expect(await page.locator('[data-testid="money-conserved"]').innerText()).toContain(
      'money conserved: $1,700 of $1,700',
    );
    expect(await page.locator('[data-testid="account-alice"]').innerText()).toContain('below zero');
    await browser.screenshot('bank-unsafe');
  });

  it('safe mode: the same race three times, one transfer refused, no balance below zero', async () => {
    const { page } = browser;
    await page.locator('[data-testid="safe-mode"]').click();
    await page.waitForFunction(
      () => (document.querySelector('[data-testid="strategy-safe"]') as { checked?: boolean } | null)?.checked === true,
    );
    for (let round = 0; round < 3; round++) {
      await attack(page);
      const result = await page.locator('[data-testid="attack-result"]').innerText();
      expect(result.match(/: success/g)).toHaveLength(1);
      expect(result).toMatch(/refused|insufficient/);
      await waitForAttribute(page, '[data-testid="invariants"]', 'data-ok', 'true');
      await page.locator('[data-testid="no-negative"]').waitFor();
    }
    await browser.screenshot('bank-safe');
  });
});
