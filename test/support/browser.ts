import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './services';

/** Debian's chromium driven by playwright-core: no browser download, no network of its own. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Screenshots for a person to look at (git-ignored). */
export const SCREENSHOT_DIR = join(ROOT, 'test-artifacts/screenshots');

export const LAPTOP = { width: 1366, height: 768 };
export const PHONE = { width: 390, height: 844 };

export interface BrowserSession {
  context: BrowserContext;
  /** Every uncaught page error, console error and CSP violation, with the page it came from. */
  problems: string[];
  newPage(name: string, viewport?: { width: number; height: number }): Promise<Page>;
  screenshot(page: Page, file: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * One Chromium with a fresh profile (its own --user-data-dir, removed at close). Each user signs in in
 * their own tab: the app keeps its token in sessionStorage, which is per tab.
 */
export async function launchBrowser(): Promise<BrowserSession> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'cloudpatrol-chromium-'));
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: LAPTOP,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  for (const p of context.pages()) await p.close();
  const problems: string[] = [];
  return {
    context,
    problems,
    async newPage(name, viewport = LAPTOP) {
      const page = await context.newPage();
      await page.setViewportSize(viewport);
      page.on('pageerror', (err) => problems.push(`${name}: page error: ${err.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error') problems.push(`${name}: console error: ${msg.text()}`);
      });
      return page;
    },
    async screenshot(page, file) {
      const path = join(SCREENSHOT_DIR, file);
      await page.screenshot({ path, fullPage: false });
      return path;
    },
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Signs in through the login page, as a person would, and waits for the role's home page. */
export async function signIn(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/#/login`);
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: '登录' }).click();
  // A function, not a string: the app's CSP forbids eval inside the page.
  await page.waitForFunction(() => !(globalThis as unknown as { location: { hash: string } }).location.hash.startsWith('#/login'));
}

/** Resolves when the page's live alert stream is open (the top bar says 实时). */
export async function waitForLive(page: Page): Promise<void> {
  await page.locator('#live-status.live-live').waitFor({ state: 'visible', timeout: 10_000 });
}
