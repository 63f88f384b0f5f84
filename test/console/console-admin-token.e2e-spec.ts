import { RunningApp } from '../../src/bootstrap';
import { startApp } from '../utils/app';
import { attack, buildConsole, ConsoleBrowser, openBrowser, openConsolePage } from './console-kit';

// Evaluated in the page by playwright, where the DOM exists.
declare const document: { querySelector(selector: string): any };

const TOKEN = 'console-e2e-admin-token-0123';

describe('console: an app started with ADMIN_TOKEN', () => {
  let app: RunningApp;
  let browser: ConsoleBrowser;

  beforeAll(async () => {
    buildConsole();
    app = await startApp({ LABS: 'booking', ADMIN_TOKEN: TOKEN });
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('says the admin writes need the token, and works once it is entered', async () => {
    const { page } = browser;
    await openConsolePage(page, `${app.url}/console/booking`);
    await page.locator('[data-testid="seat-A1"]').waitFor();
    await attack(page);
    expect(await page.locator('[data-testid="message"]').innerText()).toContain('this app runs with ADMIN_TOKEN');
    expect(await page.locator('[data-testid="attack-result"]').count()).toBe(0);

    page.once('dialog', (dialog) => void dialog.accept(TOKEN));
    await page.locator('button', { hasText: 'admin token' }).click();
    await page.locator('button', { hasText: 'token set' }).waitFor();
    await attack(page);
    await page.locator('[data-testid="attack-result"]').waitFor();
    // The booking went through: the pushed seat map shows A1 taken.
    await page.waitForFunction(() => ['booked', 'double'].includes(document.querySelector('[data-testid="seat-A1"]')?.getAttribute('data-state') ?? ''));
    expect(browser.errors).toEqual([]);
  });
});
