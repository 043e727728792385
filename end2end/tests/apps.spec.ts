/**
 * Gatehouse as an OpenID Connect provider: admins register apps, and people
 * sign in to an app through Gatehouse. The app here is a small relying
 * party started inside each test (node's http module); the ID token's
 * signature is checked by the Rust integration tests, not here.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Locator, Page } from '@playwright/test';
import {
  expect,
  expectMarker,
  expectNoAxeViolations,
  gotoHydrated,
  logIn,
  newAdmin,
  newPlainUser,
  noJsPage,
  registerApp,
  setMarker,
  tag,
  test,
  waitForHydration,
  type AppCredentials,
} from './helpers';


// ---------------------------------------------------------------------------
// The admin page
// ---------------------------------------------------------------------------

const REGISTERED = 'App registered.';

/** Opens the native "Register an app" disclosure (works with and without JavaScript). */
async function openRegisterApp(page: Page): Promise<void> {
  const details = page.locator('details', { has: page.locator('summary', { hasText: 'Register an app' }) });
  await details.locator('summary').click();
  await expect(details).toHaveAttribute('open', '');
  await expect(page.locator('#app-name')).toBeVisible();
}

/** Fills the open form and registers the app. */
async function registerInForm(
  page: Page,
  app: { name: string; redirectUris: string[]; isPublic?: boolean; role?: 'user' | 'site_admin' },
): Promise<void> {
  await expect(page.locator('#app-type-confidential')).toBeChecked();
  await expect(page.locator('#app-role')).toHaveValue('user');
  await page.locator('#app-name').fill(app.name);
  await page.locator('#app-redirect-uris').fill(app.redirectUris.join('\n'));
  if (app.isPublic) await page.locator('#app-type-public').check();
  if (app.role) await page.locator('#app-role').selectOption(app.role);
  await page.getByRole('button', { name: 'Register app', exact: true }).click();
}

function rowOf(page: Page, clientId: string): Locator {
  return page.locator(`#apps-table tbody tr#app-${clientId}`);
}

/** The row's cells: name, client id, kind, who may sign in, redirect URIs. */
async function expectRow(
  row: Locator,
  cells: { name: string; clientId: string; kind: string; who: string; redirectUri: string },
): Promise<void> {
  await expect(row).toHaveCount(1);
  const td = row.locator('td');
  await expect(td.nth(0)).toHaveText(cells.name);
  await expect(td.nth(1)).toHaveText(cells.clientId);
  await expect(td.nth(2)).toHaveText(cells.kind);
  await expect(td.nth(3)).toHaveText(cells.who);
  await expect(td.nth(4)).toHaveText(cells.redirectUri);
}

/**
 * Asks the token endpoint to exchange a made-up code with these
 * credentials: the right secret gets as far as the code (`invalid_grant`),
 * a wrong one is refused as `invalid_client`.
 */
async function tokenEndpointSays(baseURL: string, clientId: string, secret: string): Promise<string> {
  const response = await fetch(new URL('/oauth2/token', baseURL), {
    method: 'POST',
    headers: {
      authorization: basicAuth(clientId, secret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: randomBytes(32).toString('base64url'),
      redirect_uri: 'http://127.0.0.1:9/callback',
    }).toString(),
  });
  const body = (await response.json()) as { error?: string };
  return `${response.status} ${body.error}`;
}

test('An admin registers an app at /admin/apps and sees its secret once, with JavaScript', async ({
  page,
  baseURL,
}) => {
  const admin = newAdmin('apps-admin-js');
  const name = `Wiki Apptest ${tag()}`;
  const redirectUri = `https://wiki-${tag()}.example.test/oidc/callback`;

  await logIn(page, admin.email, admin.password, admin.name);
  await gotoHydrated(page, '/admin/apps');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Apps');
  await openRegisterApp(page);
  await expectNoAxeViolations(page);

  await setMarker(page, 'register');
  await registerInForm(page, { name, redirectUris: [redirectUri] });
  await expect(page.locator('.alert-success')).toHaveText(REGISTERED);
  const credentials = page.locator('#new-app-credentials');
  await expect(credentials.getByRole('heading', { level: 2 })).toHaveText(`Settings for ${name}`);
  await expect(page.locator('#new-client-id')).toHaveValue(/^[A-Za-z0-9_-]+$/);
  await expect(page.locator('#new-client-secret')).toHaveValue(/^[A-Za-z0-9_-]{43}$/);
  await expect(page.getByLabel('Client ID', { exact: true })).toHaveAttribute('readonly', '');
  await expect(page.getByLabel('Client secret', { exact: true })).toHaveAttribute('readonly', '');
  await expectMarker(page, 'register');
  const clientId = await page.locator('#new-client-id').inputValue();
  const secret = await page.locator('#new-client-secret').inputValue();

  await expectRow(rowOf(page, clientId), {
    name,
    clientId,
    kind: 'Confidential',
    who: 'Everyone',
    redirectUri,
  });
  await expectNoAxeViolations(page);

  // The secret shown is the app's: the token endpoint accepts it.
  expect(await tokenEndpointSays(baseURL!, clientId, secret)).toBe('400 invalid_grant');
  expect(await tokenEndpointSays(baseURL!, clientId, `${secret.slice(0, -1)}x`)).toBe('401 invalid_client');

  // Shown once: after a reload the app is listed, its secret is not.
  await page.reload();
  await waitForHydration(page);
  await expect(rowOf(page, clientId)).toHaveCount(1);
  await expect(credentials).toHaveCount(0);
  await expect(page.locator('#new-client-secret')).toHaveCount(0);
  expect(await page.content(), 'the page still holds the secret').not.toContain(secret);
});

test('Without JavaScript an admin registers a confidential and a public app and sees the credentials once', async ({
  newContext,
}) => {
  const admin = newAdmin('apps-admin-nojs');
  const page = await noJsPage(newContext);
  await logIn(page, admin.email, admin.password, admin.name, { js: false });

  // A confidential app, for everyone.
  const name = `Files Apptest ${tag()}`;
  const redirectUri = `https://files-${tag()}.example.test/callback`;
  await page.goto('/admin/apps');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Apps');
  await openRegisterApp(page);
  await registerInForm(page, { name, redirectUris: [redirectUri] });
  await expect(page).toHaveURL(/\/admin\/apps\?done=added$/);
  await expect(page.locator('.alert-success')).toHaveText(REGISTERED);
  await expect(page.locator('#new-app-credentials h2')).toHaveText(`Settings for ${name}`);
  await expect(page.locator('#new-client-id')).toHaveValue(/^[A-Za-z0-9_-]+$/);
  await expect(page.locator('#new-client-secret')).toHaveValue(/^[A-Za-z0-9_-]{43}$/);
  const clientId = await page.locator('#new-client-id').inputValue();
  await expectRow(rowOf(page, clientId), { name, clientId, kind: 'Confidential', who: 'Everyone', redirectUri });

  await page.reload();
  await expect(page).toHaveURL(/\/admin\/apps\?done=added$/);
  await expect(page.locator('#new-app-credentials')).toHaveCount(0);
  await expect(page.locator('#new-client-secret')).toHaveCount(0);
  await expect(rowOf(page, clientId)).toHaveCount(1);

  // A public app for site admins only has a client id and no secret.
  const publicName = `Phone Apptest ${tag()}`;
  const loopback = 'http://127.0.0.1:8765/callback';
  await page.goto('/admin/apps');
  await openRegisterApp(page);
  await registerInForm(page, { name: publicName, redirectUris: [loopback], isPublic: true, role: 'site_admin' });
  await expect(page).toHaveURL(/\/admin\/apps\?done=added$/);
  await expect(page.locator('#new-app-credentials h2')).toHaveText(`Settings for ${publicName}`);
  await expect(page.locator('#new-app-credentials')).toContainText('This public app has no secret: it must use PKCE.');
  await expect(page.locator('#new-client-secret')).toHaveCount(0);
  const publicId = await page.locator('#new-client-id').inputValue();
  expect(publicId).toMatch(/^[A-Za-z0-9_-]+$/);
  expect(publicId).not.toBe(clientId);
  await expectRow(rowOf(page, publicId), {
    name: publicName,
    clientId: publicId,
    kind: 'Public',
    who: 'Site admins only',
    redirectUri: loopback,
  });
  await page.reload();
  await expect(page.locator('#new-app-credentials')).toHaveCount(0);
});

test('The app form explains what is wrong with a redirect URI', async ({ page }) => {
  const admin = newAdmin('apps-admin-invalid');
  await logIn(page, admin.email, admin.password, admin.name);
  await gotoHydrated(page, '/admin/apps');
  await openRegisterApp(page);
  const name = `Plain Http Apptest ${tag()}`;
  await registerInForm(page, { name, redirectUris: ['http://app.example.test/callback'] });

  const uris = page.locator('#app-redirect-uris');
  await expect(uris).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#app-redirect-uris-error')).toHaveText(
    'Enter full https:// addresses without a #fragment, one per line (http:// only for localhost and 127.0.0.1).',
  );
  await expect(uris).toHaveAttribute('aria-describedby', /\bapp-redirect-uris-error\b/);
  await expect(page.locator('.alert-success')).toHaveCount(0);
  await expect(page.locator('#new-app-credentials')).toHaveCount(0);
  await expect(page.locator('#apps-table tbody tr', { hasText: name })).toHaveCount(0);
  await expectNoAxeViolations(page);
});

// ---------------------------------------------------------------------------
// A small app that signs people in through Gatehouse
// ---------------------------------------------------------------------------

function basicAuth(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function html(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
    `<body><main>${body}</main></body></html>`;
}

/** The claims of a JWT, unchecked. */
function jwtPayload(jwt: string): Record<string, unknown> {
  const parts = jwt.split('.');
  if (parts.length !== 3) throw new Error(`not a JWT: ${jwt}`);
  return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

type Discovery = {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  userinfo_endpoint: string;
};

type TestApp = {
  name: string;
  /** Where the app itself is, e.g. http://127.0.0.1:41234 */
  origin: string;
  credentials: AppCredentials;
  /** People the app signed in, in order. */
  signIns: { sub: string; email: string; name: string }[];
  /** What the app refused or failed at; empty when all went well. */
  problems: string[];
  close(): Promise<void>;
};

/**
 * Starts an app on a free port of 127.0.0.1 and registers it with the CLI
 * (confidential, redirect URI `<origin>/callback`). `GET /` offers "Sign in
 * with Gatehouse"; `/start` sends the browser to Gatehouse with PKCE (S256),
 * a state and a nonce; `/callback` checks the answer, swaps the code for
 * tokens (client_secret_basic), asks userinfo and says who signed in.
 */
async function startTestApp(baseURL: string, role: 'user' | 'site_admin' = 'user'): Promise<TestApp> {
  const response = await fetch(new URL('/.well-known/openid-configuration', baseURL));
  expect(response.status, 'the discovery document').toBe(200);
  const discovery = (await response.json()) as Discovery;
  expect(new URL(discovery.authorization_endpoint).origin).toBe(new URL(baseURL).origin);

  const name = `Test App ${tag()}`;
  const pending = new Map<string, { verifier: string; nonce: string }>();
  const signIns: TestApp['signIns'] = [];
  const problems: string[] = [];
  let credentials: AppCredentials = { clientId: '' };
  let redirectUri = '';

  const callback = async (query: URLSearchParams): Promise<{ status: number; body: string }> => {
    const refuse = (why: string) => {
      problems.push(why);
      return { status: 400, body: html('Sign-in failed', `<h1>Sign-in failed</h1><p id="problem">${escapeHtml(why)}</p>`) };
    };
    if (query.get('error')) return refuse(`Gatehouse answered ${query.get('error')}: ${query.get('error_description')}`);
    const state = query.get('state') ?? '';
    const started = pending.get(state);
    if (!started) return refuse(`unknown state ${state}`);
    pending.delete(state);
    if (query.get('iss') !== discovery.issuer) return refuse(`iss ${query.get('iss')} is not ${discovery.issuer}`);
    const code = query.get('code');
    if (!code) return refuse('no code');

    const tokenResponse = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: {
        authorization: basicAuth(credentials.clientId, credentials.clientSecret ?? ''),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        code_verifier: started.verifier,
      }).toString(),
    });
    const tokens = (await tokenResponse.json()) as Record<string, unknown>;
    if (!tokenResponse.ok) return refuse(`token endpoint ${tokenResponse.status}: ${JSON.stringify(tokens)}`);
    if (String(tokens.token_type).toLowerCase() !== 'bearer') return refuse(`token_type ${tokens.token_type}`);
    if (typeof tokens.access_token !== 'string' || typeof tokens.id_token !== 'string') {
      return refuse(`no access_token or id_token in ${JSON.stringify(tokens)}`);
    }
    if (typeof tokens.expires_in !== 'number' || tokens.expires_in <= 0) return refuse(`expires_in ${tokens.expires_in}`);
    const claims = jwtPayload(tokens.id_token);
    const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (claims.nonce !== started.nonce) return refuse(`nonce ${claims.nonce} is not ${started.nonce}`);
    if (!audience.includes(credentials.clientId)) return refuse(`aud ${JSON.stringify(claims.aud)}`);
    if (claims.iss !== discovery.issuer) return refuse(`id_token iss ${claims.iss}`);
    if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) return refuse(`id_token exp ${claims.exp}`);

    const infoResponse = await fetch(discovery.userinfo_endpoint, {
      headers: { authorization: `Bearer ${tokens.access_token}`, accept: 'application/json' },
    });
    const info = (await infoResponse.json()) as Record<string, unknown>;
    if (!infoResponse.ok) return refuse(`userinfo ${infoResponse.status}: ${JSON.stringify(info)}`);
    if (info.sub !== claims.sub) return refuse(`userinfo sub ${info.sub} is not the id_token's ${claims.sub}`);
    const person = { sub: String(info.sub), email: String(info.email), name: String(info.name) };
    signIns.push(person);
    return {
      status: 200,
      body: html(
        `${name}: signed in`,
        `<h1>Signed in as ${escapeHtml(person.name)}</h1><p id="email">${escapeHtml(person.email)}</p>` +
          `<p><a href="/">Back to ${escapeHtml(name)}</a></p>`,
      ),
    };
  };

  const server = http.createServer((request, reply) => {
    const url = new URL(request.url ?? '/', 'http://app.invalid');
    const send = (status: number, body: string, headers: http.OutgoingHttpHeaders = {}) => {
      reply.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers });
      reply.end(body);
    };
    if (request.method !== 'GET') return send(405, html('Not allowed', '<h1>Method not allowed</h1>'));
    if (url.pathname === '/') {
      return send(200, html(name, `<h1>${escapeHtml(name)}</h1><p><a href="/start">Sign in with Gatehouse</a></p>`));
    }
    if (url.pathname === '/start') {
      const verifier = randomBytes(32).toString('base64url');
      const state = randomBytes(16).toString('base64url');
      const nonce = randomBytes(16).toString('base64url');
      pending.set(state, { verifier, nonce });
      const authorize = new URL(discovery.authorization_endpoint);
      authorize.search = new URLSearchParams({
        response_type: 'code',
        client_id: credentials.clientId,
        redirect_uri: redirectUri,
        scope: 'openid email profile',
        state,
        nonce,
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
      }).toString();
      return send(302, '', { location: authorize.toString() });
    }
    if (url.pathname === '/callback') {
      callback(url.searchParams).then(
        ({ status, body }) => send(status, body),
        (error: Error) => {
          problems.push(`callback failed: ${error.stack ?? error.message}`);
          send(500, html('Error', `<h1>Error</h1><pre>${escapeHtml(String(error))}</pre>`));
        },
      );
      return;
    }
    return send(404, html('Not found', '<h1>Not found</h1>'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  redirectUri = `${origin}/callback`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  try {
    credentials = registerApp(name, [redirectUri], { role });
  } catch (error) {
    await close();
    throw error;
  }
  expect(credentials.clientSecret, 'a confidential app gets a secret').toMatch(/^[A-Za-z0-9_-]{43}$/);
  return { name, origin, credentials, signIns, problems, close };
}

/** The main-frame addresses the page visits from now on. */
function visitedUrls(page: Page): URL[] {
  const seen: URL[] = [];
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) seen.push(new URL(frame.url()));
  });
  return seen;
}

for (const js of [true, false]) {
  const how = js ? 'with JavaScript' : 'without JavaScript';

  test(`A person signs in to a small test app through Gatehouse and comes back logged in, ${how}`, async ({
    page: jsPage,
    newContext,
    baseURL,
  }) => {
    const page = js ? jsPage : await noJsPage(newContext);
    const person = newPlainUser(js ? 'rp-js' : 'rp-nojs', `Rita Relyingtest ${tag()}`);
    const gatehouse = new URL(baseURL!).origin;
    const testApp = await startTestApp(baseURL!);
    try {
      await page.goto(`${testApp.origin}/`);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(testApp.name);
      await page.getByRole('link', { name: 'Sign in with Gatehouse' }).click();

      // Not logged in yet: Gatehouse's login page, which will send the
      // browser back to the authorization request.
      await expect(page).toHaveURL((url) => url.origin === gatehouse && url.pathname === '/login');
      const next = new URL(page.url()).searchParams.get('next') ?? '';
      expect(next).toMatch(/^\/oauth2\/authorize\?/);
      expect(new URL(next, gatehouse).searchParams.get('client_id')).toBe(testApp.credentials.clientId);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText('Log in');
      // A light page: the form is the server's, with or without JavaScript.
      await page.waitForLoadState('load');
      expect(await page.locator('script[type=module]').count(), 'the login page is light').toBe(0);
      await page.locator('#login-email').fill(person.email);
      await page.locator('#login-password').fill(person.password);
      await page.getByRole('button', { name: 'Log in', exact: true }).click();

      await expect(page, "after logging in, the browser goes on to the app's redirect URI").toHaveURL(
        (url) => url.origin === testApp.origin && url.pathname === '/callback',
      );
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Signed in as ${person.name}`);
      await expect(page.locator('#email')).toHaveText(person.email);
      expect(testApp.problems).toEqual([]);
      expect(testApp.signIns).toHaveLength(1);

      // Still logged in to Gatehouse: the next sign-in needs no password.
      await page.goto(`${testApp.origin}/`);
      const visited = visitedUrls(page);
      await page.getByRole('link', { name: 'Sign in with Gatehouse' }).click();
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Signed in as ${person.name}`);
      await expect(page.locator('#email')).toHaveText(person.email);
      const atGatehouse = visited.filter((url) => url.origin === gatehouse).map((url) => url.pathname);
      expect(atGatehouse, 'pages shown by Gatehouse on the second sign-in').toEqual([]);
      expect(testApp.problems).toEqual([]);
      expect(testApp.signIns).toHaveLength(2);
      expect(testApp.signIns[1].sub).toBe(testApp.signIns[0].sub);

      // And Gatehouse itself knows them.
      await page.goto('/account');
      await expect(page.locator('.whoami')).toContainText(person.name);
    } finally {
      await testApp.close();
    }
  });
}

test("A user outside an app's role sees that they have no access", async ({ page, newContext, baseURL }) => {
  const person = newPlainUser('rp-no-access', `Nils Noaccesstest ${tag()}`);
  const admin = newAdmin('rp-admin-access');
  const testApp = await startTestApp(baseURL!, 'site_admin');
  try {
    await logIn(page, person.email, person.password, person.name);
    await page.goto(`${testApp.origin}/`);
    const problemPage = page.waitForResponse((r) => new URL(r.url()).pathname === '/sign-in-problem');
    await page.getByRole('link', { name: 'Sign in with Gatehouse' }).click();
    expect((await problemPage).status()).toBe(403);

    await expect(page).toHaveURL((url) => url.pathname === '/sign-in-problem');
    const query = new URL(page.url()).searchParams;
    expect(query.get('reason')).toBe('no_access');
    expect(query.get('client_id')).toBe(testApp.credentials.clientId);
    expect(page.url()).not.toContain('code=');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(`You don't have access to ${testApp.name}`);
    await expect(page.getByText(`Your account may not sign in to ${testApp.name}. If you need it, ask a site admin.`)).toBeVisible();
    await expect(page.getByRole('link', { name: 'Go to your account' })).toHaveAttribute('href', '/account');
    await waitForHydration(page);
    await expectNoAxeViolations(page);
    expect(testApp.signIns).toEqual([]);
    expect(testApp.problems).toEqual([]);

    // A site admin may use the same app.
    const adminPage = await (await newContext()).newPage();
    await logIn(adminPage, admin.email, admin.password, admin.name);
    await adminPage.goto(`${testApp.origin}/`);
    await adminPage.getByRole('link', { name: 'Sign in with Gatehouse' }).click();
    await expect(adminPage.getByRole('heading', { level: 1 })).toHaveText(`Signed in as ${admin.name}`);
    expect(testApp.problems).toEqual([]);
    expect(testApp.signIns.map((s) => s.email)).toEqual([admin.email]);
  } finally {
    await testApp.close();
  }
});
