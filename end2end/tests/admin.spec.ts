import type { Locator, Page } from '@playwright/test';
import {
  expect,
  expectMarker,
  expectNoAxeViolations,
  gotoHydrated,
  latestMail,
  linkFrom,
  logIn,
  mailText,
  newAdmin,
  newPlainUser,
  noJsPage,
  setMarker,
  strongPassword,
  submitLogin,
  tag,
  test,
  uniqueEmail,
  waitForHydration,
} from './helpers';

const INVITED = 'User added. They have been sent a link to set their password.';
const ADDED = 'User added with the password they typed.';
const DISABLED = 'User disabled. Their sessions have ended.';
const ENABLED = 'User enabled. They can log in again.';
const RESET_SENT = 'Password reset email sent.';
const WRONG_LOGIN = 'The email or password is incorrect.';


/** Opens the native "Add a user" disclosure (works with and without JavaScript). */
async function openAddUser(page: Page): Promise<void> {
  const details = page.locator('details.add-user');
  await details.locator('summary', { hasText: 'Add a user' }).click();
  await expect(details).toHaveAttribute('open', '');
  await expect(page.locator('#add-email')).toBeVisible();
}

/** The table row of the user with this address. */
function rowOf(page: Page, email: string): Locator {
  return page.locator('#users-table tbody tr').filter({ hasText: email });
}

/** The status badge (fourth cell) of a row. */
function statusOf(row: Locator): Locator {
  return row.locator('td').nth(3).locator('.badge');
}

/** Adds a user from the open disclosure, letting them set their password from an email. */
async function inviteUser(page: Page, email: string, name: string): Promise<void> {
  await page.locator('#add-email').fill(email);
  await page.locator('#add-name').fill(name);
  await expect(page.locator('#add-role')).toHaveValue('user');
  await expect(page.locator('#setup-invite')).toBeChecked();
  await page.getByRole('button', { name: 'Add user', exact: true }).click();
}

test('An admin invites a user, who sets a password from the email and logs in, and the admin then disables them', async ({
  page,
  newContext,
  baseURL,
}) => {
  const admin = newAdmin('admin-invite');
  const invitee = { email: uniqueEmail('invitee'), name: `Ingrid Invitetest ${tag()}`, password: strongPassword() };

  await logIn(page, admin.email, admin.password, admin.name);
  await gotoHydrated(page, '/admin/users');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Users');
  await openAddUser(page);
  await expect(page.getByLabel('Send them a link to set their password (recommended)')).toBeChecked();

  await setMarker(page, 'invite');
  const beforeAdd = Date.now();
  await inviteUser(page, invitee.email, invitee.name);
  await expect(page.locator('.alert-success')).toHaveText(INVITED);
  await expectMarker(page, 'invite');

  const row = rowOf(page, invitee.email);
  await expect(row).toHaveCount(1);
  await expect(row).toHaveId(/^user-\d+$/);
  await expect(row.locator('td').nth(0)).toHaveText(invitee.name);
  await expect(row.locator('td').nth(1)).toHaveText(invitee.email);
  await expect(row.locator('td').nth(2)).toHaveText('User');
  await expect(statusOf(row)).toHaveText('Invited');

  // The invitation mail carries a set-your-password link on the public URL.
  const raw = await latestMail(invitee.email, 'Set your password', beforeAdd);
  expect(mailText(raw)).toMatch(/An account has been created for you at '[^']+'/);
  const link = linkFrom(raw);
  const publicUrl = process.env.GATEHOUSE_PUBLIC_URL ?? baseURL;
  if (publicUrl) expect(new URL(link).origin).toBe(new URL(publicUrl).origin);

  // The new user, in their own browser, chooses a password and logs in.
  const userPage = await (await newContext()).newPage();
  await gotoHydrated(userPage, link);
  await expect(userPage.getByRole('heading', { level: 1 })).toHaveText('Choose your password');
  await userPage.locator('#reset-new').fill(invitee.password);
  await userPage.locator('#reset-confirm').fill(invitee.password);
  await userPage.getByRole('button', { name: 'Set new password' }).click();
  await expect(userPage).toHaveURL(/\/login\?reset=done$/);
  await logIn(userPage, invitee.email, invitee.password, invitee.name);

  // The admin sees them active now, and disables them.
  await gotoHydrated(page, '/admin/users');
  await expect(statusOf(row)).toHaveText('Active');
  await expect(row.locator('td').nth(4)).not.toHaveText('Never');
  await setMarker(page, 'disable');
  await row.getByRole('button', { name: 'Disable', exact: true }).click();
  await expect(page.locator('.alert-success')).toHaveText(DISABLED);
  await expect(statusOf(row)).toHaveText('Disabled');
  await expect(row.getByRole('button', { name: 'Enable', exact: true })).toBeVisible();
  await expectMarker(page, 'disable');

  // Their session has ended and they cannot log in.
  await userPage.goto('/account');
  await expect(userPage).toHaveURL(/\/login\?next=%2Faccount$/);
  await expect(userPage.locator('.whoami')).toHaveCount(0);
  await submitLogin(userPage, invitee.email, invitee.password);
  await expect(userPage.locator('.alert-error')).toHaveText(WRONG_LOGIN);
  await expect(userPage).not.toHaveURL(/\/account/);

  // Enabling them lets them back in.
  await row.getByRole('button', { name: 'Enable', exact: true }).click();
  await expect(page.locator('.alert-success')).toHaveText(ENABLED);
  await expect(statusOf(row)).toHaveText('Active');
  await expect(row.getByRole('button', { name: 'Disable', exact: true })).toBeVisible();
  await logIn(userPage, invitee.email, invitee.password, invitee.name);

  // Accessibility of the panel, with the disclosure open.
  await gotoHydrated(page, '/admin/users');
  await openAddUser(page);
  await expectNoAxeViolations(page);
  await gotoHydrated(page, '/admin/audit');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Audit log');
  await expectNoAxeViolations(page);
});

test('Without JavaScript the admin adds a user who types their own password, searches for them and sends a reset email', async ({
  newContext,
}) => {
  const admin = newAdmin('admin-nojs');
  const unique = tag();
  const person = { email: uniqueEmail('present'), name: `Petra Presenttest ${unique}`, password: strongPassword() };
  const page = await noJsPage(newContext);

  await logIn(page, admin.email, admin.password, admin.name, { js: false });
  await page.goto('/admin/users');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Users');
  await openAddUser(page);
  await page.locator('#setup-here').check();
  await expect(page.locator('#add-password')).toBeVisible();
  await page.locator('#add-email').fill(person.email);
  await page.locator('#add-name').fill(person.name);
  await page.locator('#add-password').fill(person.password);
  await page.locator('#add-confirm').fill(person.password);
  await page.getByRole('button', { name: 'Add user', exact: true }).click();
  await expect(page).toHaveURL(/\/admin\/users\?done=added$/);
  await expect(page.locator('.alert-success')).toHaveText(ADDED);
  await expect(statusOf(rowOf(page, person.email))).toHaveText('Active');

  // Search with the form (a plain GET).
  await page.locator('#user-search').fill(unique);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/admin/users\\?q=${unique}$`));
  await expect(page.locator('#user-search')).toHaveValue(unique);
  const rows = page.locator('#users-table tbody tr');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(person.email);
  await expect(rows.first().locator('td').first()).toHaveText(person.name);

  // Send them the standard reset email.
  const before = Date.now();
  await rowOf(page, person.email).getByRole('button', { name: 'Send password reset email' }).click();
  await expect(page).toHaveURL(new RegExp(`/admin/users\\?q=${unique}&done=reset_sent$`));
  await expect(page.locator('.alert-success')).toHaveText(RESET_SENT);
  await expect(rows).toHaveCount(1);
  const raw = await latestMail(person.email, 'Password reset request', before);
  expect(mailText(raw)).toContain('Someone requested that the password to your account at');
  linkFrom(raw);
});

test('Search updates as the admin types', async ({ page }) => {
  const admin = newAdmin('admin-search');
  const unique = tag();
  const wanted = newPlainUser('searched', `Sanna Searchtest ${unique}`);
  const other = newPlainUser('not-searched', `Otto Othertest ${tag()}`);
  // The admin pages' code is a separate WASM chunk, fetched only when an
  // admin page opens: logging in and the account page never download it.
  const chunks: string[] = [];
  page.on('request', (request) => {
    const file = new URL(request.url()).pathname.split('/').pop() ?? '';
    if (file.startsWith('split___admin')) chunks.push(file);
  });

  await logIn(page, admin.email, admin.password, admin.name);
  await waitForHydration(page);
  expect(chunks, 'admin chunks fetched before an admin page was opened').toEqual([]);
  await gotoHydrated(page, '/admin/users');
  expect(chunks.filter((file) => file.startsWith('split___admin_users_'))).toHaveLength(1);
  await expect(rowOf(page, other.email)).toHaveCount(1);
  await setMarker(page, 'search');

  await page.locator('#user-search').pressSequentially(`Searchtest ${unique.slice(0, 6)}`, { delay: 30 });
  await expect(page).toHaveURL(new RegExp(`/admin/users\\?q=Searchtest%20${unique.slice(0, 6)}$`), {
    timeout: 5_000,
  });
  const rows = page.locator('#users-table tbody tr');
  await expect(rows).toHaveCount(1, { timeout: 5_000 });
  await expect(rows.first()).toContainText(wanted.email);
  await expect(rowOf(page, other.email)).toHaveCount(0);
  await expectMarker(page, 'search');

  // Clearing the box shows everyone again.
  await page.locator('#user-search').fill('');
  await expect(page).toHaveURL(/\/admin\/users$/, { timeout: 5_000 });
  await expect(rowOf(page, other.email)).toHaveCount(1);
  await expectMarker(page, 'search');
});

test('With JavaScript the admin edits a user in place, sees a bad email flagged in that row, and deletes them', async ({
  page,
}) => {
  const admin = newAdmin('admin-edit');
  const person = newPlainUser('edited', `Edda Edittest ${tag()}`);
  const bystander = newPlainUser('bystander', `Bea Bystandertest ${tag()}`);

  await logIn(page, admin.email, admin.password, admin.name);
  await gotoHydrated(page, '/admin/users');
  await setMarker(page, 'edit');
  const row = rowOf(page, person.email);
  await row.locator('summary', { hasText: 'Edit' }).click();
  await row.getByLabel('Email').fill('not-an-email');
  await row.getByRole('button', { name: 'Save' }).click();

  // The error sits in the edited row, whose form stays open; other rows stay quiet.
  await expect(row.locator('.field-error').first()).toHaveText('Enter an email address like name@example.com.');
  await expect(row.locator('details').first()).toHaveAttribute('open', '');
  await expect(rowOf(page, bystander.email).locator('details').first()).not.toHaveAttribute('open', '');
  await expect(row.locator('td').nth(1)).toHaveText(person.email);
  await expectMarker(page, 'edit');

  const renamed = `Edda Renamedtest ${tag()}`;
  await row.getByLabel('Email').fill(person.email);
  await row.getByLabel('Name').fill(renamed);
  await row.getByRole('button', { name: 'Save' }).click();
  await expect(page.locator('.alert-success')).toHaveText('Changes saved.');
  await expect(row.locator('td').nth(0)).toHaveText(renamed);
  await expectMarker(page, 'edit');

  await row.locator('summary', { hasText: 'Delete' }).click();
  await row.getByLabel(`Yes, delete ${person.email} for good`).check();
  await row.getByRole('button', { name: 'Delete user' }).click();
  await expect(page.locator('.alert-success')).toHaveText('User deleted.');
  await expect(rowOf(page, person.email)).toHaveCount(0);
  await expect(rowOf(page, bystander.email)).toHaveCount(1);
  await expectMarker(page, 'edit');
});

test('A plain user is not allowed into the admin panel', async ({ page, newContext }) => {
  const user = newPlainUser('plain', 'Pia Plaintest');

  await logIn(page, user.email, user.password, user.name);
  for (const path of ['/admin/users', '/admin/audit']) {
    const response = await page.goto(path);
    expect(response?.status(), `status of ${path}`).toBe(403);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Not allowed');
    await expect(page.locator('#users-table')).toHaveCount(0);
    await expect(page.getByRole('link', { name: 'Back to your account' })).toHaveAttribute('href', '/account');
  }

  const visitor = await (await newContext()).newPage();
  await visitor.goto('/admin/users');
  await expect(visitor).toHaveURL(/\/login\?next=%2Fadmin%2Fusers$/);
  await visitor.goto('/admin/audit');
  await expect(visitor).toHaveURL(/\/login\?next=%2Fadmin%2Faudit$/);
});

test('The audit log lists what the admin did', async ({ page }) => {
  const admin = newAdmin('admin-audit');
  const invitee = { email: uniqueEmail('audited'), name: `Aino Audittest ${tag()}` };

  await logIn(page, admin.email, admin.password, admin.name);
  await gotoHydrated(page, '/admin/users');
  await openAddUser(page);
  await inviteUser(page, invitee.email, invitee.name);
  await expect(page.locator('.alert-success')).toHaveText(INVITED);
  const row = rowOf(page, invitee.email);
  await row.getByRole('button', { name: 'Disable', exact: true }).click();
  await expect(page.locator('.alert-success')).toHaveText(DISABLED);

  await gotoHydrated(page, '/admin/audit');
  const rows = page.locator('table.data-table tbody tr');
  const about = (event: string) => rows.filter({ hasText: event }).filter({ hasText: invitee.email });
  for (const event of ['User created', 'Invitation sent', 'User disabled']) {
    await expect(about(event), `an audit entry "${event}" for ${invitee.email}`).toHaveCount(1);
  }
  await expect(about('User disabled')).toContainText(admin.email);

  await page.locator('#audit-event').selectOption({ label: 'User disabled' });
  await page.getByRole('button', { name: 'Filter', exact: true }).click();
  await expect(page).toHaveURL(/\/admin\/audit\?event=user_disabled(&|$)/);
  const events = page.locator('table.data-table tbody tr td:nth-child(2)');
  await expect(events.filter({ hasNotText: /^User disabled$/ })).toHaveCount(0);
  await expect(about('User disabled')).toHaveCount(1);
  await expect(about('User created')).toHaveCount(0);
  await expect(page.locator('#audit-event')).toHaveValue('user_disabled');
});
