/**
 * First run. This file must run first, against an EMPTY database: the
 * journeys run one at a time in file-name order (workers: 1).
 */
import { expect, expectNoAxeViolations, gotoHydrated, logIn, strongPassword, test, uniqueEmail } from './helpers';

test.describe.configure({ mode: 'serial' });

test('With no accounts, the login page points to the setup page', async ({ page }) => {
  await gotoHydrated(page, '/login');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Log in');
  const notice = page.locator('.notice');
  await expect(
    notice,
    'the database must be empty when the suite starts (run it against a fresh GATEHOUSE_DATA_DIR)',
  ).toBeVisible();
  await expect(notice.locator('a[href="/setup"]')).toBeVisible();
  await expectNoAxeViolations(page);
});

test('The first site admin is created on the setup page and can then log in', async ({ page }) => {
  const email = uniqueEmail('first-admin');
  const name = 'Ada Firstadmin';
  const password = strongPassword();

  await gotoHydrated(page, '/setup');
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

  await gotoHydrated(page, '/setup');
  await expect(page.getByText('Setup is complete').first()).toBeVisible();
  await expect(page.locator('main a[href="/login"]').first()).toBeVisible();
  await expect(page.locator('#setup-email')).toHaveCount(0);
});

test('Once an account exists, the setup page cannot be used by a visitor either', async ({ page }) => {
  await page.goto('/setup');
  await expect(page.getByText('Setup is complete').first()).toBeVisible();
  await expect(page.locator('#setup-email')).toHaveCount(0);
});
