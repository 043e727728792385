/**
 * Shared fixtures and helpers for the Gatehouse journeys.
 *
 * Environment (set by the test script that starts the server):
 * - E2E_BASE_URL  where the server listens (read by playwright.config.ts)
 * - E2E_DATA_DIR  the server's GATEHOUSE_DATA_DIR; mail lands in `<dir>/mail/*.eml`
 * - E2E_BIN       the gatehouse binary (default: ../target/debug/gatehouse)
 * - GATEHOUSE_*   the server's own settings, so the CLI uses the same database
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import {
  test as base,
  expect,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
  type Request,
} from '@playwright/test';

export { expect };

const END2END_DIR = path.resolve(__dirname, '..');
const REPO_ROOT = path.resolve(END2END_DIR, '..');

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

/**
 * Runs in every page before the app's scripts. It wraps WebAssembly's
 * instantiate functions: once the app's module is instantiated, the Leptos
 * loader calls `hydrate()` in the same run of microtasks, so a timeout queued
 * at that moment fires only after hydration has started and run its
 * synchronous part. Must stay self-contained: Playwright sends its source.
 */
function installHydrationProbe(): void {
  const w = window as unknown as Record<string, unknown>;
  if (w.__e2eProbe) return;
  w.__e2eProbe = true;
  w.__e2eHydrated = false;
  const wasm = WebAssembly as unknown as Record<string, unknown>;
  for (const name of ['instantiateStreaming', 'instantiate']) {
    const original = wasm[name];
    if (typeof original !== 'function') continue;
    wasm[name] = function (this: unknown, ...args: unknown[]): unknown {
      w.__e2eInstantiating = true;
      const result = (original as (...a: unknown[]) => Promise<unknown>).apply(this, args);
      result.then(
        () => setTimeout(() => {
          w.__e2eHydrated = true;
        }, 0),
        () => undefined,
      );
      return result;
    };
  }
}

export type Fixtures = {
  /**
   * Opens another isolated browser context (own cookies; pass
   * `{ javaScriptEnabled: false }` for a browser without JavaScript).
   * It gets the configured baseURL and is closed after the test.
   */
  newContext: (options?: BrowserContextOptions) => Promise<BrowserContext>;
};

/** Requests each page has sent and not yet seen answered, for diagnostics. */
const inFlight = new WeakMap<Page, Set<Request>>();

async function watchContext(context: BrowserContext): Promise<void> {
  await context.addInitScript(installHydrationProbe);
  const pending = (request: Request): Set<Request> | undefined => {
    const page = request.frame().page();
    if (!inFlight.has(page)) inFlight.set(page, new Set());
    return inFlight.get(page);
  };
  context.on('request', (request) => pending(request)?.add(request));
  context.on('requestfinished', (request) => pending(request)?.delete(request));
  context.on('requestfailed', (request) => pending(request)?.delete(request));
}

export const test = base.extend<Fixtures>({
  context: async ({ context }, use) => {
    await watchContext(context);
    await use(context);
  },
  newContext: async ({ browser, baseURL }, use) => {
    const opened: BrowserContext[] = [];
    await use(async (options: BrowserContextOptions = {}) => {
      const context = await browser.newContext({ baseURL, ...options });
      await watchContext(context);
      opened.push(context);
      return context;
    });
    for (const context of opened) await context.close();
  },
});

/** A page in a fresh context whose browser has JavaScript switched off. */
export async function noJsPage(newContext: Fixtures['newContext']): Promise<Page> {
  const context = await newContext({ javaScriptEnabled: false });
  return context.newPage();
}

// ---------------------------------------------------------------------------
// Hydration
// ---------------------------------------------------------------------------

/**
 * Waits until the WASM client has loaded and hydrated the current document.
 * Call it after every full page load before interacting "with JavaScript".
 *
 * If the client has not even started to instantiate after `stall` ms, the
 * page is loaded once more, as a person would: in a few hundred page loads
 * on CI, headless Chromium once left the bundle's module import unanswered
 * with nothing pending on the server. What was still in flight is logged,
 * and a page that does not start on the second load fails the test.
 */
export async function waitForHydration(page: Page, timeout = 20_000, stall = 8_000): Promise<void> {
  await page.waitForLoadState('load');
  const probed = await page.evaluate(() => (window as unknown as Record<string, unknown>).__e2eProbe === true);
  if (!probed) {
    await waitFor(page, timeout, () =>
      performance
        .getEntriesByType('resource')
        .some((entry) => /\.wasm(\?|$)/.test(entry.name) && (entry as PerformanceResourceTiming).responseEnd > 0),
    );
  } else {
    // Instantiation resolves only once the module has arrived, from the
    // network or from a cache. (Resource Timing is no witness: the hashed
    // bundle is cached as immutable, and Chromium lists no entry for a
    // file it takes from its memory cache.)
    const hydrated = () => (window as unknown as Record<string, unknown>).__e2eHydrated === true;
    const started = () => {
      const w = window as unknown as Record<string, unknown>;
      return w.__e2eInstantiating === true || w.__e2eHydrated === true;
    };
    const startedInTime = await page
      .waitForFunction(started, undefined, { timeout: stall })
      .then(() => true)
      .catch(() => false);
    if (!startedInTime) {
      console.warn(`[hydration] ${page.url()} had not started its WebAssembly client after ${stall} ms; ` +
        `loading it again. ${JSON.stringify(await whatWasSeen(page))}`);
      await page.reload();
      await page.waitForLoadState('load');
    }
    await waitFor(page, timeout, hydrated);
  }
  // Let anything hydration started (resources, lazy chunks) settle.
  await page.waitForLoadState('networkidle');
}

async function whatWasSeen(page: Page): Promise<Record<string, unknown>> {
  const inPage = await page
    .evaluate(() => ({
      instantiating: (window as unknown as Record<string, unknown>).__e2eInstantiating === true,
      resources: performance.getEntriesByType('resource').map((entry) => entry.name),
    }))
    .catch(() => ({}));
  const pending = [...(inFlight.get(page) ?? [])].map((request) => request.url());
  return { ...inPage, pending };
}

async function waitFor(page: Page, timeout: number, condition: () => boolean): Promise<void> {
  try {
    await page.waitForFunction(condition, undefined, { timeout });
  } catch (error) {
    throw new Error(
      `The page ${page.url()} did not load and instantiate its WebAssembly client within ${timeout} ms ` +
        `(seen: ${JSON.stringify(await whatWasSeen(page))})`,
      { cause: error },
    );
  }
}

/** Navigates to `url` (relative to baseURL) and waits for hydration. */
export async function gotoHydrated(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await waitForHydration(page);
}

/**
 * Navigates to a light page (the ones a visitor sees before logging in):
 * the server's HTML alone, with no WebAssembly and no hydration script.
 * Checks both, and waits for the page to load.
 */
export async function gotoLight(page: Page, url: string): Promise<void> {
  // The page before may still be fetching its lazy chunks; leave it first,
  // so that only the light page's own requests are counted.
  await page.goto('about:blank');
  const wasm: string[] = [];
  const onRequest = (request: Request) => {
    if (/\.wasm(\?|$)/.test(request.url())) wasm.push(request.url());
  };
  page.on('request', onRequest);
  await page.goto(url);
  await page.waitForLoadState('load');
  page.off('request', onRequest);
  expect(wasm, `${url} is light: it loads no WebAssembly`).toEqual([]);
  expect(await page.locator('script[type=module]').count(), `${url} has no hydration script`).toBe(0);
}

/** Navigates to a page, light or hydrated, and waits until it is ready. */
export async function gotoPage(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForLoadState('load');
  if ((await page.locator('script[type=module]').count()) > 0) {
    await waitForHydration(page);
  }
}

// ---------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------

function gatehouseBin(): string {
  const bin = process.env.E2E_BIN;
  if (!bin) return path.join(REPO_ROOT, 'target', 'debug', 'gatehouse');
  // A bare name is looked up on PATH; a relative path is relative to where
  // Playwright was started.
  return bin.includes('/') ? path.resolve(bin) : bin;
}

/**
 * Runs the gatehouse CLI, which uses the same database as the server
 * because the GATEHOUSE_* variables are inherited, and returns what it
 * printed on standard output. `input` is written to its standard input.
 */
export function runGatehouse(args: string[], input = ''): string {
  try {
    return execFileSync(gatehouseBin(), args, {
      cwd: REPO_ROOT, // the CLI reads Leptos.toml from the working directory
      env: process.env,
      input,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 60_000,
    }).toString();
  } catch (error) {
    const e = error as { stderr?: Buffer; stdout?: Buffer; message: string };
    throw new Error(
      `gatehouse ${args.join(' ')} failed: ${e.message}\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`,
    );
  }
}

/** Creates an account with the CLI (`create-admin`). */
export function createUser(
  email: string,
  name: string,
  password: string,
  role: 'site_admin' | 'user' = 'site_admin',
): void {
  const args = ['create-admin', '--email', email, '--name', name, '--password-stdin'];
  if (role === 'user') args.push('--role', 'user');
  runGatehouse(args, `${password}\n`);
}

/** What `gatehouse app add` printed: the secret only for a confidential app. */
export type AppCredentials = { clientId: string; clientSecret?: string };

/**
 * Registers an app (an OpenID Connect client) with the CLI (`app add`).
 * `role` is who may sign in to it: everyone (`user`) or site admins only.
 */
export function registerApp(
  name: string,
  redirectUris: string[],
  { isPublic = false, role = 'user' }: { isPublic?: boolean; role?: 'site_admin' | 'user' } = {},
): AppCredentials {
  const args = ['app', 'add', '--name', name, '--role', role];
  for (const uri of redirectUris) args.push('--redirect-uri', uri);
  if (isPublic) args.push('--public');
  const printed = runGatehouse(args);
  const value = (key: string) => new RegExp(`^${key}=(\\S+)$`, 'm').exec(printed)?.[1];
  const clientId = value('client_id');
  if (!clientId) throw new Error(`gatehouse ${args.join(' ')} printed no client_id:\n${printed}`);
  return { clientId, clientSecret: value('client_secret') };
}

function randomToken(bytes = 4): string {
  return randomBytes(bytes).toString('hex');
}

/** An account the tests made, with the password they chose. */
export type Account = { email: string; name: string; password: string };

/** A short tag that makes a name unique, so searches find exactly one person. */
export function tag(): string {
  return randomBytes(4).toString('hex');
}

/** A new site admin, made with the CLI. */
export function newAdmin(prefix: string): Account {
  const account = { email: uniqueEmail(prefix), name: 'Ada Admintest', password: strongPassword() };
  createUser(account.email, account.name, account.password, 'site_admin');
  return account;
}

/** A new plain user, made with the CLI. */
export function newPlainUser(prefix: string, name: string): Account {
  const account = { email: uniqueEmail(prefix), name, password: strongPassword() };
  createUser(account.email, account.name, account.password, 'user');
  return account;
}

/** Marks the current document so a later check can tell whether it was replaced. */
export async function setMarker(page: Page, value: string): Promise<void> {
  await page.evaluate((v) => {
    (window as unknown as Record<string, unknown>).__marker = v;
  }, value);
}

export async function expectMarker(page: Page, value: string): Promise<void> {
  const seen = await page.evaluate(() => (window as unknown as Record<string, unknown>).__marker);
  expect(seen, 'the page was fully reloaded').toBe(value);
}

/** An address no other test (or earlier run) has used. */
export function uniqueEmail(prefix: string): string {
  return `${prefix}-${Date.now()}-${randomToken()}@example.test`;
}

/**
 * A long, unusual passphrase that meets the password rules (not common, no
 * email local part, no site name).
 */
export function strongPassword(): string {
  return `amber otter ${randomToken()} hums under violet bridges`;
}

/** The same address with its letters in alternating case. */
export function mixedCase(email: string): string {
  return [...email].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c.toLowerCase())).join('');
}

/**
 * Logs in through the form (a light page: the form posts as it is, with or
 * without JavaScript); pass `{ js: false }` for a page whose context has
 * JavaScript disabled. Does not assert where the browser lands.
 */
export async function submitLogin(
  page: Page,
  email: string,
  password: string,
  { js = true, path: loginPath = '/login' }: { js?: boolean; path?: string } = {},
): Promise<void> {
  if (js) {
    await gotoLight(page, loginPath);
  } else {
    await page.goto(loginPath);
  }
  await page.locator('#login-email').fill(email);
  await page.locator('#login-password').fill(password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
}

/** Logs in and checks that the account page names the user. */
export async function logIn(
  page: Page,
  email: string,
  password: string,
  name: string,
  options: { js?: boolean } = {},
): Promise<void> {
  await submitLogin(page, email, password, options);
  await expect(page).toHaveURL(/\/account(\?.*)?$/);
  await expect(page.locator('.whoami')).toContainText(name);
}

// ---------------------------------------------------------------------------
// Mail (file transport)
// ---------------------------------------------------------------------------

/**
 * The setup link that the server printed in its log at start-up, as a
 * newcomer finds it (the test command writes the log to
 * `<E2E_DATA_DIR>/server.log`).
 */
export function setupLinkFromLog(): string {
  const dataDir = process.env.E2E_DATA_DIR;
  if (!dataDir) throw new Error('Set E2E_DATA_DIR to the server data folder (its log is <dir>/server.log)');
  const log = fs.readFileSync(path.join(dataDir, 'server.log'), 'utf8');
  const link = /https?:\/\/[^\s\x1b]+\/setup\?token=[A-Za-z0-9_-]+/.exec(log);
  if (!link) throw new Error(`no setup link in the server log:\n${log}`);
  return link[0];
}

function mailDir(): string {
  const dataDir = process.env.E2E_DATA_DIR ?? process.env.GATEHOUSE_DATA_DIR;
  if (!dataDir) throw new Error('Set E2E_DATA_DIR to the server data folder (its mail goes to <dir>/mail)');
  return path.join(dataDir, 'mail');
}

type Entity = { headers: Map<string, string>; body: string };

/** Splits a message or MIME part into unfolded headers (lower-case names) and body. */
function parseEntity(text: string): Entity {
  const gap = /\r?\n\r?\n/.exec(text);
  const head = gap ? text.slice(0, gap.index) : text;
  const body = gap ? text.slice(gap.index + gap[0].length) : '';
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(key)) headers.set(key, decodeEncodedWords(line.slice(colon + 1).trim()));
  }
  return { headers, body };
}

/** RFC 2047 `=?charset?B|Q?…?=` words, enough for subjects. */
function decodeEncodedWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_all, _charset: string, kind: string, data: string) =>
      kind.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString('utf8')
        : decodeQuotedPrintable(data.replace(/_/g, ' ')),
    );
}

function decodeQuotedPrintable(text: string): string {
  const joined = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(joined[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeBody(entity: Entity): string {
  const encoding = (entity.headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(entity.body);
  if (encoding === 'base64') return Buffer.from(entity.body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return entity.body;
}

/** The decoded text of every leaf part (plain and HTML) of a MIME entity. */
function leafTexts(entity: Entity): string[] {
  const type = entity.headers.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (!/^multipart\//i.test(type) || !boundary) return [decodeBody(entity)];
  return entity.body
    .split(`--${boundary}`)
    .slice(1) // preamble
    .filter((part) => !part.startsWith('--')) // closing delimiter and epilogue
    .flatMap((part) => leafTexts(parseEntity(part.replace(/^[ \t]*\r?\n/, ''))));
}

/** A header of a raw message, e.g. mailHeader(raw, 'From'). */
export function mailHeader(raw: string, name: string): string | undefined {
  return parseEntity(raw).headers.get(name.toLowerCase());
}

/** The decoded plain and HTML bodies of a raw message, whitespace collapsed. */
export function mailText(raw: string): string {
  return leafTexts(parseEntity(raw)).join('\n').replace(/\s+/g, ' ');
}

/**
 * Polls the mail folder (up to `timeoutMs`) for the newest message to `to`
 * with exactly this subject, written after `afterMs` (a Date.now() taken
 * before the action that sends it). Returns the raw message.
 */
export async function latestMail(to: string, subject: string, afterMs: number, timeoutMs = 10_000): Promise<string> {
  const dir = mailDir();
  const wanted = to.toLowerCase();
  // File times come from a coarse clock; allow a little slack.
  const since = afterMs - 250;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.eml')) : [];
    const candidates = names
      .map((n) => {
        const file = path.join(dir, n);
        try {
          return { file, mtime: fs.statSync(file).mtimeMs };
        } catch {
          return undefined; // vanished between readdir and stat
        }
      })
      .filter((c): c is { file: string; mtime: number } => c !== undefined && c.mtime >= since)
      .sort((a, b) => b.mtime - a.mtime);
    for (const { file } of candidates) {
      const raw = fs.readFileSync(file, 'utf8');
      const { headers } = parseEntity(raw);
      if ((headers.get('to') ?? '').toLowerCase().includes(wanted) && headers.get('subject') === subject) {
        return raw;
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`No mail to ${to} with subject "${subject}" in ${dir} within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const RESET_LINK = /https?:\/\/[^\s"'<>]+?\/reset-password\/[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/;

/** The first reset (or set-password) link in a raw message. */
export function linkFrom(raw: string): string {
  const match = RESET_LINK.exec(raw) ?? RESET_LINK.exec(leafTexts(parseEntity(raw)).join('\n'));
  if (!match) throw new Error(`No /reset-password/<token> link in this mail:\n${raw}`);
  return match[0];
}

// ---------------------------------------------------------------------------
// Page checks
// ---------------------------------------------------------------------------

/** Runs axe on the current page and fails listing every violation. */
export async function expectNoAxeViolations(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const summary = results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.map((n) => n.target.join(' ')),
  }));
  expect(summary, `axe violations on ${page.url()}:\n${JSON.stringify(summary, null, 2)}`).toEqual([]);
}

/**
 * Collects console errors and uncaught exceptions from now on. Assert the
 * returned array is empty at the end of the test.
 */
export function collectConsoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') {
      const where = message.location().url;
      errors.push(`console.error: ${message.text()}${where ? ` (${where})` : ''}`);
    }
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  return errors;
}
