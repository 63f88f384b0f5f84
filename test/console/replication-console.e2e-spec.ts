import { RunningApp } from '../../src/bootstrap';
import { startApp } from '../utils/app';
import { attack, buildConsole, ConsoleBrowser, openBrowser, openConsolePage, selectStrategy } from './console-kit';

describe('console: replication page in a real browser', () => {
  let app: RunningApp;
  let browser: ConsoleBrowser;

  beforeAll(async () => {
    buildConsole();
    app = await startApp({ LABS: 'replication' });
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });
  afterEach(() => expect(browser.errors).toEqual([]));

  it('any-replica: reads right after the session writes miss them, and the replicas show versions behind', async () => {
    const { page } = browser;
    await openConsolePage(page, `${app.url}/console/replication`);
    await page.locator('[data-testid="replica-replica1"]').waitFor();
    await selectStrategy(page, 'any-replica');
    await attack(page);
    const missed = await page.locator('[data-testid="missed-own-write"]').innerText();
    expect(Number(/(\d+) of 5 reads missed/.exec(missed)?.[1])).toBeGreaterThan(0);
    await browser.screenshot('replication-unsafe');
  });

  it('read-your-writes: the same test three times, every read sees the session’s own write', async () => {
    const { page } = browser;
    await selectStrategy(page, 'read-your-writes');
    for (let round = 0; round < 3; round++) {
      await attack(page);
      expect(await page.locator('[data-testid="read-own-writes"]').innerText()).toContain('all 5 reads saw');
    }
    // The t-visibility curve is drawn from the client's live reads.
    await page.locator('figure.curve svg polyline').first().waitFor({ state: 'attached' });
    await browser.screenshot('replication-safe');
  });
});
