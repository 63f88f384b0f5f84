#!/usr/bin/env node
// Regenerates the README's console screenshots (docs/screenshots/*.png) from a running app:
//   node scripts/console-screenshots.mjs http://127.0.0.1:3000
// Each lab page is shown right after its seed demo (the unsafe strategy's attack); the experiments
// page after a booking run under the pause-lock-holder nemesis. Uses /usr/bin/chromium.
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const base = (process.argv[2] ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'screenshots');
mkdirSync(out, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), 'labs-console-shots-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
  viewport: { width: 1280, height: 720 },
  deviceScaleFactor: 0.6,
});
const page = context.pages()[0] ?? (await context.newPage());
const post = (path, body) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
const live = () =>
  page.waitForFunction(
    () => document.querySelector('[data-testid="connection"]')?.getAttribute('data-state') === 'live',
  );
const attack = async () => {
  await page.locator('[data-testid="attack"]').click();
  await page.waitForTimeout(300);
  await page.locator('button[data-testid="attack"]:not([disabled])').waitFor({ timeout: 90_000 });
  await page.waitForTimeout(1500);
};
const shot = (name) => page.screenshot({ path: join(out, `${name}.png`) });

await post('/booking/admin/strategy', { strategy: 'none' });
await page.goto(`${base}/console/booking`);
await live();
await attack();
await shot('booking');

await post('/bank/admin/settings', { transfer_strategy: 'vulnerable' });
await page.goto(`${base}/console/bank`);
await live();
await attack();
await shot('bank');

await post('/orders/consumer/config', { enable_idempotency: false });
await page.goto(`${base}/console/orders`);
await live();
await attack();
await page.waitForTimeout(6000);
await shot('orders');
await post('/orders/consumer/config', { enable_idempotency: true });

await post('/admin/labs/counter/strategies/global-view', { strategy: 'max-of-totals' });
await page.goto(`${base}/console/counter`);
await live();
await attack();
await shot('counter');
await post('/counter/gateway/admin/partition/us-east?enabled=false');
await post('/admin/labs/counter/strategies/global-view', { strategy: 'crdt-merge' });

await post('/replication/client/admin/read-strategy', { strategy: 'any-replica' });
await page.goto(`${base}/console/replication`);
await live();
await attack();
await attack();
await shot('replication');

const run = await (
  await post('/admin/experiments', {
    lab: 'booking',
    strategy: 'distributed',
    nemesis: 'pause-lock-holder',
    seed: 3,
    ops: 200,
  })
).json();
await page.goto(`${base}/console/experiments/${run.id}`);
await page.locator('[data-testid="exp-status"]:not(:has-text("running"))').waitFor({ timeout: 120_000 });
const first = page.locator('[data-testid="anomalies"] li button').first();
if (await first.count()) await first.click();
await page.waitForTimeout(500);
await shot('experiment');

await page.emulateMedia({ colorScheme: 'dark' });
await page.goto(`${base}/console/booking`);
await live();
await page.waitForTimeout(800);
await shot('booking-dark');

await context.close();
rmSync(profile, { recursive: true, force: true });
process.stdout.write(`screenshots written to ${out}\n`);
