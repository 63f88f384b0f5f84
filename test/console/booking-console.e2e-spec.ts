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

describe('console: booking page in a real browser', () => {
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

  it('no locking: ten customers click A1 and the seat map marks it double-booked, with who got it', async () => {
    const { page } = browser;
    await openConsolePage(page, `${app.url}/console/booking`);
    await page.locator('[data-testid="seat-A1"]').waitFor();
    await selectStrategy(page, 'none');
    await attack(page);
    await waitForAttribute(page, '[data-testid="seat-A1"]', 'data-state', 'double');
    const label = await page.locator('[data-testid="seat-A1"]').getAttribute('aria-label');
    expect(label).toMatch(/^A1: double-booked ×(\d+) \(customer-\d+(, customer-\d+)+\)$/);
    expect(Number(/×(\d+)/.exec(label!)![1])).toBeGreaterThan(1);
    await page.locator('[data-testid="double-bookings"]', { hasText: 'seat A1 sold' }).waitFor();
    expect(await page.locator('[data-testid="attack-result"]').innerText()).toMatch(/A1 sold (\d+) times/);
    await browser.screenshot('booking-unsafe');
  });

  it('pessimistic: the same attack, three times, sells A1 exactly once and nothing is double-booked', async () => {
    const { page } = browser;
    await selectStrategy(page, 'pessimistic');
    for (let round = 0; round < 3; round++) {
      await attack(page);
      expect(await page.locator('[data-testid="attack-result"]').innerText()).toContain('A1 sold once');
      await waitForAttribute(page, '[data-testid="seat-A1"]', 'data-state', 'booked');
      await page.locator('[data-testid="no-double-booking"]').waitFor();
    }
    expect(await page.locator('[data-testid="seat-A1"]').getAttribute('aria-label')).toMatch(
      /^A1: booked by customer-\d+$/,
    );
    await browser.screenshot('booking-safe');
  });
});
