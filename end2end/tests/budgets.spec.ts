/**
 * What a first visit to each page transfers (HTML, CSS, scripts, WebAssembly,
 * the word list, everything until the network is idle), with the browser's
 * cache empty, against that page's budget. The test command runs it against
 * the release bundle (E2E_BUDGETS=1): the debug bundle is many times larger.
 */
import type { BrowserContext } from '@playwright/test';
import { createUser, expect, strongPassword, test, uniqueEmail } from './helpers';

/**
 * Bytes a first visit may transfer. The light pages hold their HTML and CSS
 * (about 6 KB today); the pages that load the client hold what they
 * transfer today (the client they share, their own chunks and their words),
 * rounded up to the next 5 KB (BENCHMARKS.md, "A first visit"); the admin
 * pages' budgets were raised once each by two-step verification, by
 * languages and by the hardening round's "confirm it's you" step (its link
 * on every admin page, and the code they now share with /admin/confirm),
 * by what those added (BENCHMARKS.md, "Languages", "Hardening"), and by
 * groups (a page of their own, whose lazy chunk split the code the admin
 * pages share into more chunks; BENCHMARKS.md, "Groups").
 */
const BUDGETS: Record<string, number> = {
  '/login': 60_000,
  '/forgot-password': 60_000,
  [`/reset-password/${'x'.repeat(43)}`]: 60_000,
  '/account': 220_000,
  '/admin/users': 325_000,
  '/admin/groups': 295_000,
  '/admin/apps': 300_000,
  '/admin/mail': 270_000,
  '/admin/audit': 275_000,
};

/** The bytes a first visit to `path` transfers, in a context whose cache is empty. */
async function firstVisit(
  context: BrowserContext,
  path: string,
): Promise<{ bytes: number; wasm: number; files: string[] }> {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const urls = new Map<string, string>();
  let bytes = 0;
  let wasm = 0;
  cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url));
  const files: string[] = [];
  cdp.on('Network.loadingFinished', (e) => {
    bytes += e.encodedDataLength;
    files.push(`${e.encodedDataLength}\t${new URL(urls.get(e.requestId) ?? '', 'http://x').pathname}`);
    if (/\.wasm(\?|$)/.test(urls.get(e.requestId) ?? '')) wasm += 1;
  });
  await page.goto(path);
  await page.waitForLoadState('networkidle');
  await page.close();
  return { bytes, wasm, files };
}

/**
 * `E2E_BUDGETS=1` checks the budgets; `E2E_BUDGETS=measure` only prints the
 * figures (to measure another build, as BENCHMARKS.md's table was).
 */
test('Each page\'s first visit stays within its budget', async ({ browser, baseURL }) => {
  const mode = process.env.E2E_BUDGETS;
  test.skip(mode !== '1' && mode !== 'measure', 'budgets hold for the release bundle only');
  test.setTimeout(120_000);
  const admin = { email: uniqueEmail('budget-admin'), password: strongPassword() };
  createUser(admin.email, 'Bea Budgettest', admin.password, 'site_admin');

  const figures: string[] = [];
  const visits: { path: string; budget: number; light: boolean; bytes: number; wasm: number }[] = [];
  for (const [path, budget] of Object.entries(BUDGETS)) {
    const context = await browser.newContext({ baseURL });
    const light = !path.startsWith('/account') && !path.startsWith('/admin');
    if (!light) {
      const res = await context.request.post('/api/login', {
        form: { email: admin.email, password: admin.password },
        headers: { Origin: baseURL ?? '' },
      });
      expect(res.ok(), 'logged in').toBe(true);
    }
    const { bytes, wasm, files } = await firstVisit(context, path);
    await context.close();
    figures.push(`${path}: ${bytes} bytes, ${wasm} WebAssembly files (budget ${budget})`);
    // Measuring, each response is listed too: what a page's figure is made of.
    if (mode === 'measure') figures.push(...files.map((f) => `    ${f}`));
    visits.push({ path, budget, light, bytes, wasm });
  }
  console.log(`First visits:\n  ${figures.join('\n  ')}`);
  if (mode === 'measure') return;
  for (const { path, budget, light, bytes, wasm } of visits) {
    if (light) expect(wasm, `${path} loads no WebAssembly`).toBe(0);
    expect(bytes, `${path}: a first visit transfers ${bytes} bytes; its budget is ${budget}`).toBeLessThanOrEqual(budget);
  }
});
