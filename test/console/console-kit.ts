import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';

// Evaluated in the page by playwright, where the DOM exists.
declare const document: {
  querySelector(selector: string): any;
  querySelectorAll(selector: string): ArrayLike<unknown>;
};

const ROOT = join(__dirname, '..', '..');
/** Screenshots of every test run (gitignored). */
export const SCREENSHOTS = join(ROOT, 'test-output', 'console');
export const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let built = false;
/** Builds the console into dist/console (esbuild, well under a second) so the app serves this tree's pages. */
export function buildConsole(): void {
  if (built) return;
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-console.mjs')], { stdio: 'pipe' });
  built = true;
}

export interface ConsoleBrowser {
  page: Page;
  /** Uncaught page errors and console errors seen so far (expected API answers excluded). */
  errors: string[];
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The operating system's Chromium, driven by playwright-core, with a fresh user-data directory.
 * A 4xx answer the page shows as a lab outcome ("refused") is not an error; anything else the
 * console logs as an error, and every uncaught exception, is collected in `errors`.
 */
export async function openBrowser(
  options: { allow?: RegExp[]; colorScheme?: 'light' | 'dark' } = {},
): Promise<ConsoleBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-chromium.sh (npm test does)`);
  const profile = mkdtempSync(join(tmpdir(), 'labs-console-chromium-'));
  mkdirSync(SCREENSHOTS, { recursive: true });
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 720 },
    colorScheme: options.colorScheme ?? 'light',
    timeout: 60_000,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  const errors: string[] = [];
  const allowed = [/Failed to load resource: the server responded with a status of 4\d\d/, ...(options.allow ?? [])];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !allowed.some((re) => re.test(msg.text()))) errors.push(`console: ${msg.text()}`);
  });
  return {
    page,
    errors,
    screenshot: async (name) => {
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
    },
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Waits until the element's attribute has the value (the page updates from the pushed state). */
export async function waitForAttribute(
  page: Page,
  selector: string,
  name: string,
  value: string,
  timeout = 20_000,
): Promise<void> {
  await page.waitForFunction(
    ([sel, attr, want]) => document.querySelector(sel)?.getAttribute(attr) === want,
    [selector, name, value] as const,
    { timeout },
  );
}

/** Opens a console page and waits until its Server-Sent Events stream is live. */
export async function openConsolePage(page: Page, url: string): Promise<void> {
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await waitForAttribute(page, '[data-testid="connection"]', 'data-state', 'live');
}

/** Selects a strategy radio and waits until the pushed state says it is the current one. */
export async function selectStrategy(page: Page, key: string): Promise<void> {
  await page.locator(`[data-testid="strategy-${key}"]`).click();
  await page.waitForFunction(
    (k) => (document.querySelector(`[data-testid="strategy-${k}"]`) as { checked?: boolean } | null)?.checked === true,
    key,
  );
  await page.locator('button[data-testid="attack"]:not([disabled])').waitFor();
}

/** Presses the page's attack button and waits until it is done (enabled again). */
export async function attack(page: Page, timeout = 60_000): Promise<void> {
  await page.locator('[data-testid="attack"]').click();
  await page
    .locator('button[data-testid="attack"][aria-busy="true"]')
    .waitFor({ state: 'detached', timeout })
    .catch(() => undefined);
  await page.locator('button[data-testid="attack"]:not([disabled])').waitFor({ timeout });
}
