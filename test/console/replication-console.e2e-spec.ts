import { RunningApp } from '../../src/bootstrap';
import { nodeUrl, startApp } from '../utils/app';
import { post } from '../utils/http';
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
declare const document: { querySelector(selector: string): { textContent: string | null } | null };
type HTMLInputElement = { checked: boolean };

describe('console: replication page in a real browser', () => {
  let app: RunningApp;
  let browser: ConsoleBrowser;

  beforeAll(async () => {
    buildConsole();
    app = await startApp({ LABS: 'replication' });
    browser = await openBrowser();
  });
  afterAll(async () => {
    // The streaming trio is shared: leave it healed, with the seed's delays, and the engine app-log.
    if (app) {
      await post(`${nodeUrl(app, 'replication', 'replica2')}/admin/standby/heal`).catch(() => undefined);
      await post(`${nodeUrl(app, 'replication', 'primary')}/admin/replication-delays`, {
        delays: { replica1: 500, replica2: 1500 },
      }).catch(() => undefined);
      await post(`${nodeUrl(app, 'replication', 'primary')}/admin/replication-engine`, { engine: 'app-log' }).catch(
        () => undefined,
      );
    }
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

  it('switches the engine to postgres-streaming: each replica shows its standby, a cut shows and heals; back to app-log they go', async () => {
    const { page } = browser;
    await openConsolePage(page, `${app.url}/console/replication`);
    await page.locator('[data-testid="strategy-app-log"]').waitFor();
    expect(await page.locator('[data-testid="strategy-app-log"]').isChecked()).toBe(true);
    expect(await page.locator('[data-testid="standby-replica1"]').count()).toBe(0);

    await page.locator('[data-testid="strategy-postgres-streaming"]').click();
    // Infra is up on every machine these tests run on; a 409 names why in the message line.
    await page.waitForFunction(
      () =>
        (document.querySelector('[data-testid="strategy-postgres-streaming"]') as HTMLInputElement | null)?.checked ===
        true,
      undefined,
      { timeout: 20_000 },
    );
    for (const r of ['replica1', 'replica2']) {
      await waitForAttribute(page, `[data-testid="standby-${r}"]`, 'data-state', 'streaming');
      // The standby's replay position, as it reports it (pg_last_wal_replay_lsn()), and its replay lag figure.
      await page.waitForFunction(
        (id) =>
          /[0-9A-F]+\/[0-9A-F]+/.test(document.querySelector(`[data-testid="standby-lsn-${id}"]`)?.textContent ?? ''),
        r,
      );
      expect(await page.locator(`[data-testid="standby-lag-${r}"]`).innerText()).toMatch(/replay lag/);
    }

    await page.locator('button[data-testid="cut-replica2"]:not([disabled])').click();
    await waitForAttribute(page, '[data-testid="standby-replica2"]', 'data-state', 'cut_off');
    await browser.screenshot('replication-streaming-cut');
    await page.locator('button[data-testid="heal-replica2"]:not([disabled])').click();
    await waitForAttribute(page, '[data-testid="standby-replica2"]', 'data-state', 'streaming');

    await page.locator('[data-testid="strategy-app-log"]').click();
    await page.waitForFunction(
      () => (document.querySelector('[data-testid="strategy-app-log"]') as HTMLInputElement | null)?.checked === true,
    );
    await page.locator('[data-testid="standby-replica1"]').waitFor({ state: 'detached' });
  });
});
