import {
  collectConsoleErrors,
  createUser,
  expect,
  expectNoAxeViolations,
  gotoHydrated,
  gotoLight,
  logIn,
  mixedCase,
  noJsPage,
  strongPassword,
  submitLogin,
  test,
  uniqueEmail,
  waitForHydration,
} from './helpers';
import type { BrowserContext } from '@playwright/test';

const WRONG = 'The email or password is incorrect.';

type Account = { email: string; name: string; password: string };

function newUser(prefix: string, name = 'Lena Logintest'): Account {
  const account = { email: uniqueEmail(prefix), name, password: strongPassword() };
  createUser(account.email, account.name, account.password, 'user');
  return account;
}

async function expectSessionCookieIsSafe(context: BrowserContext): Promise<void> {
  const session = (await context.cookies()).find((c) => c.name === 'gatehouse_session');
  expect(session, 'a gatehouse_session cookie after logging in').toBeDefined();
  expect(session?.httpOnly, 'the session cookie is HttpOnly').toBe(true);
  expect(session?.sameSite, 'the session cookie is SameSite=Lax').toBe('Lax');
}

test('The login page is light (no WebAssembly), accessible, and without console errors', async ({ page }) => {
  const errors = collectConsoleErrors(page);
  await gotoLight(page, '/login');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Log in');
  await expect(page.getByRole('link', { name: 'Forgotten your password?' })).toHaveAttribute('href', '/forgot-password');
  await expectNoAxeViolations(page);
  expect(errors).toEqual([]);
});

test('A user logs in with JavaScript from the light login page, and the account page hydrates', async ({ page, context }) => {
  const user = newUser('login-js');
  const errors = collectConsoleErrors(page);

  await gotoLight(page, '/login');
  await page.locator('#login-email').fill(user.email);
  await page.locator('#login-password').fill(user.password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();

  await expect(page).toHaveURL(/\/account$/);
  await waitForHydration(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your account');
  await expect(page.locator('.whoami strong')).toHaveText(user.name);
  await expect(page.locator('.whoami .email')).toHaveText(user.email);

  const nav = page.locator('.site-nav');
  await expect(nav.getByRole('link', { name: 'Account' })).toBeVisible();
  await expect(nav).toContainText(user.name);
  await expect(nav.getByRole('link', { name: 'Log in' })).toHaveCount(0);

  await expectSessionCookieIsSafe(context);
  expect(await page.evaluate(() => document.cookie)).not.toContain('gatehouse_session');

  // A full load of the account page hydrates cleanly as well.
  await gotoHydrated(page, '/account');
  await expect(page.locator('.whoami strong')).toHaveText(user.name);
  await expectNoAxeViolations(page);
  expect(errors).toEqual([]);
});

test('A user logs in without JavaScript and lands on the account page', async ({ newContext }) => {
  const user = newUser('login-nojs');
  const page = await noJsPage(newContext);
  await logIn(page, user.email, user.password, user.name, { js: false });
  await expect(page.locator('.whoami .email')).toHaveText(user.email);
  await expectSessionCookieIsSafe(page.context());
});

test('A wrong password and an unknown email get exactly the same message', async ({ page }) => {
  const user = newUser('login-wrong');

  await submitLogin(page, user.email, 'not the right password at all');
  const alert = page.locator('.alert-error');
  await expect(alert).toHaveText(WRONG);
  await expect(alert).toHaveAttribute('role', 'alert');
  await expect(page).toHaveURL(/\/login/);
  const forWrongPassword = await alert.textContent();

  await submitLogin(page, uniqueEmail('nobody'), user.password);
  await expect(alert).toHaveText(WRONG);
  await expect(page).toHaveURL(/\/login/);
  expect(await alert.textContent()).toBe(forWrongPassword);
  await expect(page.locator('.whoami')).toHaveCount(0);
});

test('Without JavaScript a wrong password shows the same message on the login page', async ({ newContext }) => {
  const user = newUser('login-wrong-nojs');
  const page = await noJsPage(newContext);
  await submitLogin(page, user.email, 'not the right password at all', { js: false });
  await expect(page).toHaveURL(/\/login/);
  await expect(page.locator('.alert-error')).toHaveText(WRONG);
  await expect(page.locator('.whoami')).toHaveCount(0);
});

test('A field left empty is marked next to itself after the post, and has the focus', async ({ page }) => {
  await gotoLight(page, '/login');
  await page.locator('#login-email').fill(uniqueEmail('login-empty'));
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect(page).toHaveURL(/\/login\?/);
  const password = page.locator('#login-password');
  await expect(password).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#login-password-error')).toHaveText('This field is required.');
  await expect(password).toBeFocused();
  // The email typed before the post is an address the form may keep or
  // not; the page is the light one again.
  expect(await page.locator('script[type=module]').count()).toBe(0);
  await expectNoAxeViolations(page);
});

test('Email addresses match whatever their letter case', async ({ page }) => {
  const user = newUser('login-case');
  await logIn(page, mixedCase(user.email), user.password, user.name);
});

test('Logging out ends the session and the account page then asks to log in', async ({ page }) => {
  const user = newUser('login-logout');
  await logIn(page, user.email, user.password, user.name);
  await waitForHydration(page);

  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  await expect(page).toHaveURL(/\/login(\?.*)?$/);
  await expect(page.locator('.site-nav').getByRole('link', { name: 'Log in' })).toBeVisible();

  await page.goto('/account');
  await expect(page).toHaveURL(/\/login\?next=%2Faccount$/);
  await expect(page.locator('.whoami')).toHaveCount(0);
});

test('A visitor sent from the account page to log in returns there afterwards', async ({ page }) => {
  const user = newUser('login-next');
  await page.goto('/account');
  await expect(page).toHaveURL(/\/login\?next=%2Faccount$/);
  expect(await page.locator('script[type=module]').count()).toBe(0);

  await page.locator('#login-email').fill(user.email);
  await page.locator('#login-password').fill(user.password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.locator('.whoami strong')).toHaveText(user.name);
});

test('Without JavaScript, the login form still sends the user on to the next page', async ({ newContext }) => {
  // The target differs from the default (/account), so a lost `next` shows.
  const user = newUser('login-next-nojs');
  const page = await noJsPage(newContext);
  await submitLogin(page, user.email, user.password, { js: false, path: '/login?next=%2Fforgot-password' });
  await expect(page).toHaveURL(/\/forgot-password$/);
  await expect(page.locator('.site-nav').getByRole('link', { name: 'Account' })).toBeVisible();
});

test('A next parameter that points to another site is ignored', async ({ page, baseURL }) => {
  const user = newUser('login-next-evil');
  await submitLogin(page, user.email, user.password, { path: '/login?next=%2F%2Fevil.example%2Fsteal' });
  await expect(page).toHaveURL(/\/account$/);
  expect(new URL(page.url()).origin).toBe(new URL(baseURL ?? page.url()).origin);
});
