/**
 * Two-step verification in Chromium: an authenticator app set up and used
 * without JavaScript (its codes from the otpauth package, not the
 * server's code), and passkeys added, used and removed with Chromium's
 * virtual authenticator (the CDP WebAuthn domain). The site must be
 * reached by a domain name for passkeys: the test command serves it on
 * http://localhost.
 */
import * as OTPAuth from 'otpauth';
import type { CDPSession, Page } from '@playwright/test';
import {
  collectConsoleErrors,
  createUser,
  expect,
  expectNoAxeViolations,
  gotoHydrated,
  gotoLight,
  logIn,
  noJsPage,
  strongPassword,
  submitLogin,
  test,
  uniqueEmail,
} from './helpers';

type Account = { email: string; name: string; password: string };

function newUser(prefix: string, name: string): Account {
  const account = { email: uniqueEmail(prefix), name, password: strongPassword() };
  createUser(account.email, account.name, account.password, 'user');
  return account;
}

/** The authenticator app, from the key the security page shows. */
async function appFromPage(page: Page): Promise<OTPAuth.TOTP> {
  const key = (await page.locator('#totp-secret').textContent())?.trim() ?? '';
  expect(key, 'the key as base32 text').toMatch(/^[A-Z2-7]{32}$/);
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(key), digits: 6, period: 30, algorithm: 'SHA1' });
}

test('Without JavaScript a person sets up an authenticator app, keeps the recovery codes and logs in with a code', async ({
  newContext,
}) => {
  const page = await noJsPage(newContext);
  const person = newUser('totp-nojs', 'Toni Totptest');
  await logIn(page, person.email, person.password, person.name, { js: false });
  await page.getByRole('link', { name: 'Two-step verification and passkeys' }).click();
  await expect(page).toHaveURL(/\/account\/security$/);
  await expect(page.locator('.qr svg')).toBeVisible();
  await expect(page.getByText('Adding a passkey needs JavaScript.')).toBeVisible();

  const app = await appFromPage(page);
  await page.locator('#totp-code').fill('000000');
  await page.locator('#totp-current').fill(person.password);
  await page.getByRole('button', { name: 'Turn on' }).click();
  await expect(page.locator('#totp-code-error')).toContainText('That code is not right');

  await page.locator('#totp-code').fill(app.generate());
  await page.locator('#totp-current').fill(person.password);
  await page.getByRole('button', { name: 'Turn on' }).click();
  await expect(page.getByText('The authenticator app is set up: two-step verification is on.')).toBeVisible();
  const codes = await page.locator('#recovery-codes li').allTextContents();
  expect(codes, 'ten recovery codes').toHaveLength(10);
  await page.reload();
  await expect(page.locator('#recovery-codes'), 'shown once').toHaveCount(0);

  // Logging in now takes a second step.
  await page.context().clearCookies();
  await submitLogin(page, person.email, person.password, { js: false });
  await expect(page).toHaveURL(/\/login\/verify$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Two-step verification');
  await page.locator('#verify-code').fill('123456');
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.locator('#verify-code-error')).toContainText('That code is not right');
  await page.locator('#verify-code').fill(codes[0]);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.locator('.whoami')).toContainText(person.name);
});

/** Chromium's virtual authenticator on this page: a platform authenticator
 * with resident keys that verifies its user (a screen lock, say). */
async function virtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; id: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, id: authenticatorId };
}

test('With JavaScript a person adds a passkey, signs in with it alone and as a second step, and removes it', async ({
  page,
  baseURL,
}) => {
  test.skip(!/^https?:\/\/localhost[:/]/.test(baseURL ?? ''), 'passkeys need the site on a domain name (localhost)');
  const errors = collectConsoleErrors(page);
  const person = newUser('passkey', 'Pia Passkeytest');
  const { cdp, id } = await virtualAuthenticator(page);

  await logIn(page, person.email, person.password, person.name);
  await gotoHydrated(page, '/account/security');
  await expectNoAxeViolations(page);
  await page.locator('#passkey-name').fill('Test laptop');
  await page.locator('#passkey-current').fill(person.password);
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(page).toHaveURL(/done=passkey_added/);
  await expect(page.getByText('The passkey was added.')).toBeVisible();
  await expect(page.locator('#passkeys')).toContainText('Test laptop');
  await expect(page.locator('#recovery-codes li'), 'the first factor brings recovery codes').toHaveCount(10);
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId: id });
  expect(credentials, 'one discoverable credential on the authenticator').toHaveLength(1);
  expect(credentials[0].isResidentCredential).toBe(true);

  // Signing in with the passkey alone: no email, no password.
  await page.context().clearCookies();
  await gotoLight(page, '/login');
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.locator('.whoami')).toContainText(person.name);

  // The password now asks for a second step, which the passkey gives.
  await page.context().clearCookies();
  await submitLogin(page, person.email, person.password);
  await expect(page).toHaveURL(/\/login\/verify$/);
  expect(await page.locator('script[type=module]').count(), 'the verify page is light').toBe(0);
  await expectNoAxeViolations(page);
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.locator('.whoami')).toContainText(person.name);

  // Removed: the list is empty, and the password alone logs in again.
  await gotoHydrated(page, '/account/security');
  await expect(page.locator('#passkeys')).toContainText('Test laptop');
  await page.getByText('Remove Test laptop…').click();
  await page.locator('#passkey-remove-current-0').fill(person.password);
  await page.getByRole('button', { name: 'Remove', exact: true }).click();
  await expect(page).toHaveURL(/done=passkey_removed/);
  await expect(page.getByText('You have no passkeys.')).toBeVisible();
  await page.context().clearCookies();
  await logIn(page, person.email, person.password, person.name);
  expect(errors).toEqual([]);
});
