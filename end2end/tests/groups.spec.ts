/**
 * Groups at /admin/groups: a site admin makes one, puts a person in it,
 * finds them among its members, takes them out and deletes the group; and
 * sets a person's groups from their row at /admin/users. With JavaScript
 * the lists follow each change in place; without it every form posts and
 * the page comes back saying what was done.
 */
import type { Page } from '@playwright/test';
import {
  expect,
  expectMarker,
  expectNoAxeViolations,
  gotoHydrated,
  logIn,
  newAdmin,
  newPlainUser,
  noJsPage,
  setMarker,
  tag,
  test,
} from './helpers';

/** Opens the "Make a group" disclosure and makes `name`. */
async function makeGroup(page: Page, name: string): Promise<void> {
  const details = page.locator('details', { has: page.locator('summary', { hasText: 'Make a group' }) });
  await details.locator('summary').click();
  await page.locator('#group-name').fill(name);
  await page.getByRole('button', { name: 'Make group', exact: true }).click();
  await expect(page.locator('.alert-success')).toHaveText('The group was made.');
}

/** Makes a group, adds `member`, finds them, takes them out, deletes the group. */
async function groupJourney(page: Page, member: { email: string; name: string }, js: boolean): Promise<void> {
  const group = `wiki-${tag()}`;
  await makeGroup(page, group);
  const row = page.locator(`#groups-table tr#group-${group}`);
  await expect(row.locator('td').nth(1)).toHaveText('0');
  await row.getByRole('link', { name: group }).click();
  const members = page.locator('#group-members');
  await expect(members.getByRole('heading', { level: 2 })).toHaveText(`Members of ${group}`);
  await expect(members).toContainText('Nobody is in this group yet.');

  await page.locator('#member-email').fill(member.email.toUpperCase());
  await page.getByRole('button', { name: 'Add to group', exact: true }).click();
  await expect(page.locator('.alert-success')).toHaveText('The person was added to the group.');
  await expect(members).toContainText('People in the group: 1');
  await expect(page.locator('#members-table tbody tr')).toHaveCount(1);
  await expect(page.locator('#members-table tbody tr td').nth(1)).toHaveText(member.email);
  await expect(row.locator('td').nth(1)).toHaveText('1');
  // axe runs in the page: only where JavaScript runs.
  if (js) await expectNoAxeViolations(page);

  await page.locator('#member-search').fill('no such person');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(members).toContainText('No member matches.');
  await page.locator('#member-search').fill(member.name.split(' ')[0].toLowerCase());
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(page.locator('#members-table tbody tr')).toHaveCount(1);

  await page.getByRole('button', { name: `Remove ${member.email} from ${group}` }).click();
  await expect(page.locator('.alert-success')).toHaveText('The person was taken out of the group.');
  await expect(members).toContainText('People in the group: 0');

  await row.locator('summary', { hasText: 'Delete' }).click();
  await row.getByLabel(`Yes, delete ${group}: everyone in it leaves it`).check();
  await row.getByRole('button', { name: 'Delete group', exact: true }).click();
  await expect(page.locator('.alert-success')).toHaveText('The group was deleted.');
  await expect(page.locator(`#groups-table tr#group-${group}`)).toHaveCount(0);
}

test('An admin manages a group at /admin/groups with JavaScript, in place', async ({ page }) => {
  test.setTimeout(90_000);
  const admin = newAdmin('groups-admin-js');
  const member = newPlainUser('groups-member-js', `Gwen Grouptest${tag()}`);
  await logIn(page, admin.email, admin.password, admin.name);
  await gotoHydrated(page, '/admin/groups');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Groups');
  await expectNoAxeViolations(page);
  await setMarker(page, 'groups');
  await groupJourney(page, member, true);
  await expectMarker(page, 'groups');
});

test('Without JavaScript an admin manages a group and sets a person’s groups from their row', async ({
  newContext,
}) => {
  test.setTimeout(90_000);
  const admin = newAdmin('groups-admin-nojs');
  const member = newPlainUser('groups-member-nojs', `Noor Grouptest${tag()}`);
  const page = await noJsPage(newContext);
  await logIn(page, admin.email, admin.password, admin.name, { js: false });
  await page.goto('/admin/groups');
  await groupJourney(page, member, false);

  // A person's groups, from their row on /admin/users.
  const staff = `staff-${tag()}`;
  await makeGroup(page, staff);
  await page.goto(`/admin/users?q=${encodeURIComponent(member.email)}`);
  const row = page.locator('#users-table tbody tr').filter({ hasText: member.email });
  const groups = row.locator('details', { has: page.locator('summary', { hasText: 'Groups:' }) });
  await expect(groups.locator('summary')).toHaveText('Groups: No groups');
  await groups.locator('summary').click();
  await groups.getByLabel('Groups', { exact: true }).fill(`${staff} no-such-group`);
  await groups.getByRole('button', { name: 'Save groups' }).click();
  await expect(page.getByText('There is no group called no-such-group.', { exact: false })).toBeVisible();
  const again = page.locator('#users-table tbody tr').filter({ hasText: member.email });
  await again.locator('summary', { hasText: 'Groups:' }).click();
  const field = again.getByLabel('Groups', { exact: true });
  await field.fill(staff);
  await again.getByRole('button', { name: 'Save groups' }).click();
  await expect(page.locator('.alert-success')).toHaveText('Their groups were saved.');
  await expect(
    page.locator('#users-table tbody tr').filter({ hasText: member.email }).locator('summary', { hasText: 'Groups:' }),
  ).toHaveText(`Groups: ${staff}`);
});
