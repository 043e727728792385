/**
 * Languages in Chromium: every page links to the others, a choice holds
 * across pages with and without JavaScript, the hydrated client keeps the
 * page's language (no English flashing in), and a person's saved language
 * is theirs wherever they log in.
 */
import {
  collectConsoleErrors,
  createUser,
  expect,
  expectNoAxeViolations,
  gotoHydrated,
  logIn,
  noJsPage,
  strongPassword,
  test,
  uniqueEmail,
  waitForHydration,
} from './helpers';

test('Without JavaScript a visitor switches to Welsh and the pages stay Welsh', async ({ newContext }) => {
  const page = await noJsPage(newContext);
  await page.goto('/login');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  const english = await page.getByRole('heading', { level: 1 }).textContent();
  await page.getByRole('navigation', { name: 'Languages' }).getByRole('link', { name: 'Cymraeg' }).click();
  await expect(page).toHaveURL(/\/login\?lang=cy$/);
  await expect(page.locator('html')).toHaveAttribute('lang', 'cy');
  const welsh = await page.getByRole('heading', { level: 1 }).textContent();
  expect(welsh).not.toBe(english);
  // Remembered: the next page, reached by its link, is Welsh too.
  await page.locator('a[href="/forgot-password"]').click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await expect(page.locator('html')).toHaveAttribute('lang', 'cy');
  await expect(page.locator('a[hreflang="en"]')).toHaveText('English');
});

test('With JavaScript the hydrated page keeps its language, and a saved language follows the person', async ({
  page,
  newContext,
}) => {
  const errors = collectConsoleErrors(page);
  const person = { email: uniqueEmail('lang'), name: 'Llinos Languagetest', password: strongPassword() };
  createUser(person.email, person.name, person.password, 'user');
  await logIn(page, person.email, person.password, person.name);
  await waitForHydration(page);

  // French, loaded whole, and the client hydrates it in French.
  await page.locator('a[hreflang="fr"]').click();
  await expect(page).toHaveURL(/\/account\?lang=fr$/);
  await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
  const heading = page.getByRole('heading', { level: 2 }).first();
  const before = await heading.textContent();
  await waitForHydration(page);
  expect(await heading.textContent(), 'the same words once the client runs').toBe(before);
  await expect(page.getByRole('button', { name: 'Log out', exact: true })).toHaveCount(0);
  await expectNoAxeViolations(page);

  // Saved on the account page: Welsh, in another browser as well.
  await page.locator('#account-language').selectOption('cy');
  await page.locator('#account-language').locator('xpath=ancestor::form').getByRole('button').click();
  await expect(page).toHaveURL(/\/account\?language=saved&lang=cy$/);
  await expect(page.locator('html')).toHaveAttribute('lang', 'cy');
  await waitForHydration(page);
  await expect(page.locator('#account-language')).toHaveValue('cy');

  // (A browser asking for German, which the site does not offer: the
  // login page is English, then the saved Welsh takes over.)
  const elsewhere = await (await newContext({ locale: 'de-DE' })).newPage();
  await logIn(elsewhere, person.email, person.password, person.name);
  await expect(elsewhere.locator('html')).toHaveAttribute('lang', 'cy');
  await gotoHydrated(elsewhere, '/account');
  await expect(elsewhere.locator('html')).toHaveAttribute('lang', 'cy');
  expect(errors).toEqual([]);
});
