/**
 * The look that every page shares: readable on a 360 px phone in light and
 * dark colours, visible keyboard focus, and submit buttons that show they
 * are working while their request runs.
 */
import type { Page } from '@playwright/test';
import {
  createUser,
  expect,
  expectNoAxeViolations,
  gotoLight,
  gotoPage,
  logIn,
  strongPassword,
  test,
  uniqueEmail,
} from './helpers';

const PHONE = { width: 360, height: 740 };

/** Pages a visitor sees, then pages a logged-in site admin sees. */
const VISITOR_PAGES = ['/login', '/login/verify', '/forgot-password', '/setup', `/reset-password/${'x'.repeat(43)}`, '/no-such-page'];
const ADMIN_PAGES = ['/account', '/account/security', '/admin/users', '/admin/audit', '/admin/apps', '/admin/mail'];

async function expectFitsThePhone(page: Page): Promise<void> {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width, `${page.url()} scrolls sideways at ${PHONE.width} px`).toBeLessThanOrEqual(PHONE.width);
}

async function backgroundOf(page: Page): Promise<string> {
  return page.evaluate(() => getComputedStyle(document.body).backgroundColor);
}

test('Every page fits a 360 px screen and passes axe in light and in dark colours', async ({ page }) => {
  test.setTimeout(120_000);
  const admin = { email: uniqueEmail('look-admin'), name: 'Lotte Looktest', password: strongPassword() };
  createUser(admin.email, admin.name, admin.password, 'site_admin');
  await page.setViewportSize(PHONE);

  const backgrounds = new Set<string>();
  const visitAll = async (paths: string[]) => {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const path of paths) {
        await gotoPage(page, path);
        await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
        await expectFitsThePhone(page);
        await expectNoAxeViolations(page);
        backgrounds.add(`${scheme} ${await backgroundOf(page)}`);
      }
    }
  };

  await visitAll(VISITOR_PAGES);
  await logIn(page, admin.email, admin.password, admin.name);
  await visitAll(ADMIN_PAGES);

  // One background per colour scheme, and the two differ.
  const light = [...backgrounds].filter((b) => b.startsWith('light ')).map((b) => b.slice(6));
  const dark = [...backgrounds].filter((b) => b.startsWith('dark ')).map((b) => b.slice(5));
  expect(light).toHaveLength(1);
  expect(dark).toHaveLength(1);
  expect(dark[0]).not.toBe(light[0]);
});

test('Keyboard focus is always visible', async ({ page }) => {
  await gotoLight(page, '/login');
  const outlineOfFocused = () =>
    page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      const style = getComputedStyle(el);
      return { id: el.id || el.textContent?.trim(), style: style.outlineStyle, width: parseFloat(style.outlineWidth) };
    });
  // Skip link, brand, the header's link, email, password, submit, "Forgotten…".
  const seen: string[] = [];
  for (let i = 0; i < 7; i++) {
    await page.keyboard.press('Tab');
    const focused = await outlineOfFocused();
    seen.push(String(focused.id));
    expect(focused.style, `focus outline of ${focused.id}`).not.toBe('none');
    expect(focused.width, `focus outline width of ${focused.id}`).toBeGreaterThanOrEqual(2);
  }
  expect(seen).toContain('login-email');
  expect(seen).toContain('Log in');
});

test('On a light page the submit button shows it is working and cannot be pressed twice', async ({ page }) => {
  // The page's own few lines of script (no client): the busy button. The
  // post itself is a page load; this test stops it in the page, after the
  // page's script has seen it, so that the page can be looked at meanwhile.
  await gotoLight(page, '/forgot-password');
  await page.evaluate(() => {
    const w = window as unknown as { submits: boolean[] };
    w.submits = [];
    window.addEventListener('submit', (event) => {
      w.submits.push(event.defaultPrevented);
      event.preventDefault();
    });
  });
  await page.locator('#forgot-email').fill(uniqueEmail('look-pending'));
  const button = page.getByRole('button', { name: 'Send reset link' });
  await button.click();
  await expect(button).toHaveAttribute('aria-busy', 'true');
  await expect(button).toBeDisabled();
  // A second press is refused by the page: the first went, the second not.
  await page.locator('form').evaluate((form: HTMLFormElement) => form.requestSubmit());
  const submits = await page.evaluate(() => (window as unknown as { submits: boolean[] }).submits);
  expect(submits, 'the first submission goes, the second is stopped').toEqual([false, true]);
});
