/**
 * First run. This file must run first, against an EMPTY database: the
 * journeys run one at a time in file-name order (workers: 1).
 */
import {
  expect,
  expectNoAxeViolations,
  gotoHydrated,
  gotoLight,
  logIn,
  setupLinkFromLog,
  strongPassword,
  test,
  uniqueEmail,
} from './helpers';

test.describe.configure({ mode: 'serial' });

test('With no accounts, the login page tells the operator where the setup link is', async ({ page }) => {
  await gotoLight(page, '/login');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Log in');
  const notice = page.locator('.notice');
  await expect(
    notice,
    'the database must be empty when the suite starts (run it against a fresh GATEHOUSE_DATA_DIR)',
  ).toBeVisible();
  await expect(notice).toContainText('gatehouse setup-link');
  // No link that anybody who finds a new site first could use.
  await expect(page.locator('a[href^="/setup"]')).toHaveCount(0);
  await expectNoAxeViolations(page);
});

test('Without the setup link, the setup page only explains where to find it', async ({ page }) => {
  await gotoHydrated(page, '/setup');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Set up Gatehouse');
  await expect(page.locator('#setup-email')).toHaveCount(0);
  await gotoHydrated(page, '/setup?token=not-the-token');
  await expect(page.getByRole('alert')).toContainText('expired or was already used');
  await expect(page.locator('#setup-email')).toHaveCount(0);
  await expectNoAxeViolations(page);
});

test('The first site admin is created from the setup link in the log and can then log in', async ({ page }) => {
  const email = uniqueEmail('first-admin');
  const name = 'Ada Firstadmin';
  const password = strongPassword();

  // One click on the link the server printed at start-up.
  const link = new URL(setupLinkFromLog());
  await gotoHydrated(page, link.pathname + link.search);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Create the first site admin');
  await expectNoAxeViolations(page);

  await page.locator('#setup-email').fill(email);
  await page.locator('#setup-name').fill(name);
  await page.locator('#setup-password').fill(password);
  await page.locator('#setup-confirm').fill(password);
  await page.getByRole('button', { name: 'Create site admin' }).click();

  await expect(page).toHaveURL(/\/login\?setup=done$/);
  await expect(page.locator('.alert-success')).toHaveText('The site admin account was created. You can now log in.');
  await expect(page.locator('.notice')).toHaveCount(0);
  await expectNoAxeViolations(page);

  await logIn(page, email, password, name);
  await expect(page.locator('.whoami .email')).toHaveText(email);

  await gotoHydrated(page, link.pathname + link.search);
  await expect(page.getByText('Setup is complete').first()).toBeVisible();
  await expect(page.locator('main a[href="/login"]').first()).toBeVisible();
  await expect(page.locator('#setup-email')).toHaveCount(0);
});

test('Once an account exists, the setup link cannot be used by a visitor either', async ({ page }) => {
  const link = new URL(setupLinkFromLog());
  await page.goto(link.pathname + link.search);
  await expect(page.getByText('Setup is complete').first()).toBeVisible();
  await expect(page.locator('#setup-email')).toHaveCount(0);
});
