import { RunningApp } from '../../src/bootstrap';
import { startApp } from '../utils/app';
import { attack, buildConsole, ConsoleBrowser, openBrowser, openConsolePage } from './console-kit';

// Evaluated in the page by playwright, where the DOM exists.
declare const document: {
  querySelector(selector: string): any;
  querySelectorAll(selector: string): ArrayLike<unknown>;
};

const statValue = (testid: string) => `[data-testid="${testid}"] .stat-value`;

describe('console: orders page in a real browser', () => {
  let app: RunningApp;
  let browser: ConsoleBrowser;

  beforeAll(async () => {
    buildConsole();
    app = await startApp({ LABS: 'orders' });
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });
  afterEach(() => expect(browser.errors).toEqual([]));

  async function setIdempotency(on: boolean): Promise<void> {
    const { page } = browser;
    const box = page.locator('[data-testid="idempotency"]');
    // The switch is disabled (and reads unchecked) until the consumer's config has arrived: reading
    // it earlier would take "off" for the consumer's state and skip the click.
    await page.waitForFunction(
      () => {
        const el = document.querySelector('[data-testid="idempotency"]') as { disabled?: boolean } | null;
        return el !== null && el.disabled === false;
      },
      undefined,
      { timeout: 60_000 },
    );
    if ((await box.isChecked()) !== on) await box.click();
    await page.waitForFunction(
      (want) =>
        (document.querySelector('[data-testid="idempotency"]') as { checked?: boolean } | null)?.checked === want,
      on,
      { timeout: 60_000 },
    );
  }

  async function waitForFigure(testid: string, value: string, timeout = 60_000): Promise<void> {
    await browser.page.waitForFunction(
      ([sel, want]) => document.querySelector(sel)?.textContent?.replace(/[^\d,]/g, '') === want,
      [statValue(testid), value] as const,
      { timeout },
    );
  }

  it('idempotency off: the consumer crashes after its write, the redelivered order is applied twice', async () => {
    const { page } = browser;
    await openConsolePage(page, `${app.url}/console/orders`);
    await setIdempotency(false);
    await attack(page, 90_000);
    await waitForFigure('produced', '10');
    await waitForFigure('unique', '10');
    await waitForFigure('duplicates', '1');
    expect(await page.locator('[data-testid="orders-verdict"]').innerText()).toContain(
      '1 order applied more than once',
    );
    await page.locator('[data-testid="duplicate-orders"]').waitFor();
    await browser.screenshot('orders-unsafe');
  });

  it('idempotency on: the same crash test, three times, applies every order exactly once', async () => {
    const { page } = browser;
    await setIdempotency(true);
    for (let round = 0; round < 3; round++) {
      await attack(page, 90_000);
      await waitForFigure('produced', '10');
      await waitForFigure('unique', '10');
      await waitForFigure('lag', '0');
      expect((await page.locator(statValue('duplicates')).innerText()).trim()).toBe('0');
      expect(await page.locator('[data-testid="orders-verdict"]').innerText()).toContain(
        'every order applied exactly once',
      );
    }
    await browser.screenshot('orders-safe');
  });

  it('"Zombie producer" fences the live producer: the page names it and its successor, and orders go on', async () => {
    const { page } = browser;
    const zombie = page.locator('[data-testid="zombie"]');
    await page.waitForFunction(
      () => (document.querySelector('[data-testid="zombie"]') as { disabled?: boolean } | null)?.disabled === false,
      undefined,
      {
        timeout: 60_000,
      },
    );
    await zombie.click();
    // The badge appears as soon as the old producer is fenced ("→ starting"); the successor's name
    // follows once it has initialised the id and taken the slot.
    await page.waitForFunction(
      () =>
        /producer-1[-\d]*#\d+ → .*producer-1[-\d]*#\d+/.test(
          document.querySelector('[data-testid="fenced-producer"]')?.textContent ?? '',
        ),
      undefined,
      { timeout: 60_000 },
    );
    expect(await page.locator('[data-testid="fenced-producer"]').innerText()).toMatch(
      /producer-1[-\d]*#\d+ → .*producer-1[-\d]*#\d+/,
    );
    await page.waitForFunction(
      () => /INVALID_PRODUCER_EPOCH/.test(document.querySelector('[data-testid="message"]')?.textContent ?? ''),
      undefined,
      {
        timeout: 60_000,
      },
    );
    await attack(page, 90_000);
    await waitForFigure('produced', '10');
    await waitForFigure('unique', '10');
    await browser.screenshot('orders-zombie');
  });
});
