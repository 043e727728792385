import type { Page } from '@playwright/test';
import {
  createUser,
  expect,
  expectNoAxeViolations,
  logIn,
  noJsPage,
  strongPassword,
  submitLogin,
  test,
  uniqueEmail,
  waitForHydration,
} from './helpers';

type Account = { email: string; name: string; password: string };

function newUser(prefix: string): Account {
  const account = { email: uniqueEmail(prefix), name: 'Aksel Accounttest', password: strongPassword() };
  createUser(account.email, account.name, account.password, 'user');
  return account;
}

async function fillChangePassword(page: Page, current: string, next: string): Promise<void> {
  await page.locator('#account-current').fill(current);
  await page.locator('#account-new').fill(next);
  await page.locator('#account-confirm').fill(next);
  await page.getByRole('button', { name: 'Change password' }).click();
}

for (const js of [true, false]) {
  const how = js ? 'with JavaScript' : 'without JavaScript';

  test(`A user changes their password with the current one and logs in with the new one, ${how}`, async ({
    page: jsPage,
    newContext,
  }) => {
    const page = js ? jsPage : await noJsPage(newContext);
    const user = newUser(js ? 'account-js' : 'account-nojs');
    const newPassword = strongPassword();

    await logIn(page, user.email, user.password, user.name, { js });
    await expect(page.getByRole('heading', { level: 2, name: 'Change your password' })).toBeVisible();
    if (js) await waitForHydration(page);

    await fillChangePassword(page, 'this is not my current password', newPassword);
    const current = page.locator('#account-current');
    await expect(page.locator('#account-current-error')).toHaveText('The current password is incorrect.');
    await expect(current).toHaveAttribute('aria-invalid', 'true');
    await expect(current).toHaveAttribute('aria-describedby', /\baccount-current-error\b/);
    await expect(page.locator('.alert-success')).toHaveCount(0);

    await fillChangePassword(page, user.password, newPassword);
    await expect(page).toHaveURL(/\/account\?changed=1$/);
    await expect(page.locator('.alert-success')).toHaveText('Your password has been changed.');
    if (js) await expectNoAxeViolations(page);

    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await expect(page).toHaveURL(/\/login(\?.*)?$/);

    await submitLogin(page, user.email, user.password, { js });
    await expect(page.locator('.alert-error')).toHaveText('The email or password is incorrect.');
    await logIn(page, user.email, newPassword, user.name, { js });
  });
}

test('The account page lists where the person is logged in; "Log out there" and "Log out everywhere" end other browsers\' sessions', async ({
  page,
  newContext,
}) => {
  const user = newUser('account-everywhere');
  const other = await (await newContext()).newPage();

  await logIn(page, user.email, user.password, user.name);
  await logIn(other, user.email, user.password, user.name);

  await page.reload();
  await waitForHydration(page);
  const rows = page.locator('#sessions-table tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(rows.filter({ hasText: 'This browser' })).toHaveCount(1);
  await expect(rows.first()).toContainText(/Chrome on Linux/);
  await expectNoAxeViolations(page);
  await rows.filter({ hasNotText: 'This browser' }).getByRole('button', { name: 'Log out there' }).click();
  await expect(page.locator('#sessions .alert-success')).toHaveText('That session has ended.');
  await expect(rows).toHaveCount(1);
  await other.goto('/account');
  await expect(other).toHaveURL(/\/login\?next=%2Faccount$/);

  await logIn(other, user.email, user.password, user.name);
  await page.getByRole('button', { name: 'Log out everywhere' }).click();
  await expect(page).toHaveURL(/\/login(\?.*)?$/);

  await other.goto('/account');
  await expect(other).toHaveURL(/\/login\?next=%2Faccount$/);
  await expect(other.locator('.whoami')).toHaveCount(0);

  await page.goto('/account');
  await expect(page).toHaveURL(/\/login\?next=%2Faccount$/);
});

test('The new-password hint refuses the email and the site name in any letter case as the user types', async ({
  page,
}) => {
  const user = newUser('account-hint');
  const local = user.email.split('@')[0];
  const siteName = process.env.GATEHOUSE_SITE_NAME;
  expect(siteName, 'the test script sets GATEHOUSE_SITE_NAME').toBeTruthy();

  await logIn(page, user.email, user.password, user.name);
  await waitForHydration(page);
  const field = page.locator('#account-new');
  const hint = page.locator('#account-new-hint');

  // The browser lowers the case for these checks; the server has the last word.
  await field.fill(`violet ${local.toUpperCase()} bridges`);
  await expect(hint).toHaveText('The password must not contain your email address.');
  await field.fill(`amber ${siteName!.toUpperCase()} otters hum`);
  await expect(hint).toHaveText("The password must not contain the site's name.");
  await field.fill(strongPassword());
  await expect(hint).toHaveText(/^Looks /);
});
