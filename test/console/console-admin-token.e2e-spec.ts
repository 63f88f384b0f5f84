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
    await page.waitForFunction(() =>
      ['booked', 'double'].includes(
        document.querySelector('[data-testid="seat-A1"]')?.getAttribute('data-state') ?? '',
      ),
    );
    expect(browser.errors).toEqual([]);
  });
});

describe('console: the "read now" after a control, on an app started with ADMIN_TOKEN', () => {
  let app: RunningApp;
  let browser: ConsoleBrowser;

  beforeAll(async () => {
    buildConsole();
    app = await startApp({ LABS: 'orders', ADMIN_TOKEN: TOKEN });
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  /** Clicks the consumer's idempotency switch (a write that needs no token) and waits for the page's refresh call to be answered. */
  async function toggleIdempotency(): Promise<{ status: number; token: string | undefined }> {
    const { page } = browser;
    await page.waitForFunction(
      () =>
        (document.querySelector('[data-testid="idempotency"]') as { disabled?: boolean } | null)?.disabled === false,
      undefined,
      {
        timeout: 60_000,
      },
    );
    const refreshed = page.waitForResponse((r) => r.url().endsWith('/admin/console/labs/orders/refresh'), {
      timeout: 30_000,
    });
    await page.locator('[data-testid="idempotency"]').click();
    const answer = await refreshed;
    return { status: answer.status(), token: answer.request().headers()['x-admin-token'] };
  }

  it('without the token the refused read is shown, not dropped; with it the read is sent with the token and accepted', async () => {
    const { page } = browser;
    await openConsolePage(page, `${app.url}/console/orders`);
    expect(await page.locator('[data-testid="read-refused"]').count()).toBe(0);

    expect(await toggleIdempotency()).toEqual({ status: 401, token: undefined });
    const banner = page.locator('[data-testid="read-refused"]');
    await banner.waitFor();
    expect(await banner.innerText()).toContain('refused to read orders now (401 ADMIN.TOKEN_REQUIRED)');

    page.once('dialog', (dialog) => void dialog.accept(TOKEN));
    await page.locator('button', { hasText: 'admin token' }).click();
    await page.locator('button', { hasText: 'token set' }).waitFor();
    await banner.waitFor({ state: 'detached' });
    expect(await toggleIdempotency()).toEqual({ status: 202, token: TOKEN });
    expect(await banner.count()).toBe(0);
    expect(browser.errors).toEqual([]);
  }, 180_000);
});
