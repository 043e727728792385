import type { Page } from '@playwright/test';
import {
  collectConsoleErrors,
  createUser,
  expect,
  expectNoAxeViolations,
  gotoHydrated,
  gotoLight,
  gotoPage,
  latestMail,
  linkFrom,
  logIn,
  mailHeader,
  mailText,
  mixedCase,
  noJsPage,
  strongPassword,
  submitLogin,
  test,
  uniqueEmail,
} from './helpers';

const SENT = /^If an account exists for that address, we have sent a link/;
const RESET_DONE = 'Your password has been set. You can now log in with it.';
const RESET_SUBJECT = 'Password reset request';

type Account = { email: string; name: string; password: string };

function newUser(prefix: string): Account {
  const account = { email: uniqueEmail(prefix), name: 'Rosa Resettest', password: strongPassword() };
  createUser(account.email, account.name, account.password, 'user');
  return account;
}

/** Opens a page: with JavaScript, hydrated when it loads the client (a
 * valid link's form) and light otherwise. */
async function open(page: Page, url: string, js: boolean): Promise<void> {
  if (js) await gotoPage(page, url);
  else await page.goto(url);
}

/** Asks for a reset link (typing the address in mixed case) and returns the mail sent. */
async function requestResetMail(page: Page, email: string, js: boolean): Promise<string> {
  await open(page, '/forgot-password', js);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Forgotten your password?');
  await page.locator('#forgot-email').fill(mixedCase(email));
  const before = Date.now();
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await expect(page).toHaveURL(/\/forgot-password\?sent=1$/);
  await expect(page.locator('.alert-success')).toHaveText(SENT);
  return latestMail(email, RESET_SUBJECT, before);
}

/** Checks the fixed wording of a reset mail and returns its link. */
function checkResetMail(raw: string, baseURL: string | undefined): string {
  const text = mailText(raw);
  expect(text).toContain('Someone requested that the password to your account at');
  expect(text).toContain('This password reset request will expire in 24 hours on');

  const expiry = /expire in 24 hours on ([A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2} [AP]M) (\S+?)\./.exec(text);
  expect(expiry, `an expiry date like "Feb 26, 2014 05:37 PM UTC" in:\n${text}`).not.toBeNull();
  if (expiry && expiry[2] === 'UTC') {
    const expiresAt = Date.parse(`${expiry[1]} UTC`);
    expect(Math.abs(expiresAt - (Date.now() + 24 * 3_600_000))).toBeLessThan(5 * 60_000);
  }

  const adminEmail = process.env.GATEHOUSE_ADMIN_EMAIL;
  if (adminEmail) expect(mailHeader(raw, 'From')?.toLowerCase()).toContain(adminEmail.toLowerCase());

  const link = linkFrom(raw);
  const publicUrl = process.env.GATEHOUSE_PUBLIC_URL ?? baseURL;
  if (publicUrl) expect(new URL(link).origin).toBe(new URL(publicUrl).origin);
  return link;
}

async function expectResetForm(page: Page): Promise<void> {
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Choose a new password');
  await expect(page.locator('#reset-new')).toBeVisible();
  await expect(page.locator('#reset-confirm')).toBeVisible();
}

async function submitNewPassword(page: Page, password: string): Promise<void> {
  await page.locator('#reset-new').fill(password);
  await page.locator('#reset-confirm').fill(password);
  await page.getByRole('button', { name: 'Set new password' }).click();
}

for (const js of [true, false]) {
  const how = js ? 'with JavaScript' : 'without JavaScript';

  test(`A user who forgot their password sets a new one through the emailed link, ${how}`, async ({
    page: jsPage,
    newContext,
    baseURL,
  }) => {
    const page = js ? jsPage : await noJsPage(newContext);
    const user = newUser(js ? 'reset-js' : 'reset-nojs');

    const raw = await requestResetMail(page, user.email, js);
    const link = checkResetMail(raw, baseURL);

    // Opening the link (even twice, as mail scanners do) does not use it up.
    await open(page, link, js);
    await expectResetForm(page);
    await open(page, link, js);
    await expectResetForm(page);

    const newPassword = strongPassword();
    const beforeReset = Date.now();
    await submitNewPassword(page, newPassword);
    await expect(page).toHaveURL(/\/login\?reset=done$/);
    await expect(page.locator('.alert-success')).toHaveText(RESET_DONE);

    if (js) {
      await latestMail(user.email, 'Your password was changed', beforeReset);
      await submitLogin(page, user.email, user.password);
      await expect(page.locator('.alert-error')).toHaveText('The email or password is incorrect.');
    }
    await logIn(page, user.email, newPassword, user.name, { js });

    // The link is used up now.
    await open(page, link, js);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('This link has expired or was already used');
    await expect(page.getByRole('button', { name: 'Send me a new link' })).toBeVisible();
    await expect(page.locator('#reset-new')).toHaveCount(0);
    if (js) {
      // The page of a used link is light.
      await gotoLight(page, link);
      await expectNoAxeViolations(page);
    }
  });
}

test('Asking for a link for an unknown address gives the same answer', async ({ page }) => {
  const errors = collectConsoleErrors(page);
  await gotoLight(page, '/forgot-password');
  await expectNoAxeViolations(page);

  await page.locator('#forgot-email').fill(uniqueEmail('nobody'));
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await expect(page).toHaveURL(/\/forgot-password\?sent=1$/);
  await expect(page.locator('.alert-success')).toHaveText(SENT);
  await expect(page.locator('.alert-error')).toHaveCount(0);
  await expectNoAxeViolations(page);
  expect(errors).toEqual([]);
});

test('A made-up reset link says it is not valid and offers a new one', async ({ page }) => {
  for (const token of ['A'.repeat(43), 'not-a-token']) {
    await gotoLight(page, `/reset-password/${token}`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('This link is not valid');
    await expect(page.getByRole('link', { name: 'Request a new link' })).toHaveAttribute('href', '/forgot-password');
    await expect(page.locator('#reset-new')).toHaveCount(0);
  }
  await expectNoAxeViolations(page);
});

test('A weak new password is refused with a field error and the link stays usable', async ({ page, baseURL }) => {
  const user = newUser('reset-weak');
  const link = checkResetMail(await requestResetMail(page, user.email, true), baseURL);

  await gotoHydrated(page, link);
  await expectResetForm(page);
  await expectNoAxeViolations(page);

  // The live hint follows the typing.
  const newField = page.locator('#reset-new');
  const hint = page.locator('.password-hint').first();
  await newField.pressSequentially('abc');
  await expect(hint).toContainText('Too short');
  const shortHint = await hint.textContent();
  const newPassword = strongPassword();
  await newField.fill(newPassword);
  await expect(hint).not.toContainText('Too short');
  await expect(hint).not.toHaveText(shortHint ?? '');

  await submitNewPassword(page, 'password1234');
  await expect(page.locator('#reset-new-error')).toHaveText(/\S/);
  await expect(newField).toHaveAttribute('aria-invalid', 'true');
  await expect(newField).toHaveAttribute('aria-describedby', /\breset-new-error\b/);
  await expect(page).not.toHaveURL(/\/login/);

  // Still usable.
  await gotoHydrated(page, link);
  await expectResetForm(page);
  await submitNewPassword(page, newPassword);
  await expect(page).toHaveURL(/\/login\?reset=done$/);
  await expect(page.locator('.alert-success')).toHaveText(RESET_DONE);
  await logIn(page, user.email, newPassword, user.name);
});
