import { test, expect, type APIRequestContext, type CDPSession, type Page } from '@playwright/test';
import { fillLogin, nowSeconds, openSettings, recordPageErrors, signUpViaApi, verifyViaMail, totpCode, type User } from './support';

// Passkeys with Chromium's virtual authenticator (CDP WebAuthn.addVirtualAuthenticator: a
// platform authenticator that keeps discoverable credentials and verifies the user without
// a prompt). A relying-party id must be a host name, never an IP address, so these tests
// browse http://localhost:3100 — the server's PUBLIC_URL (start-server.sh) — while the
// other specs use 127.0.0.1.
//
// The login page also offers passkeys through the address field's autofill (conditional
// mediation), and with automatic presence the virtual authenticator answers that request by
// itself, as a person picking the suggestion would. Tests that mean to use a button first
// turn presence off (`presence(…, false)`): the autofill request then waits, and the button's
// dialog, once presence is back on, aborts it and takes over.

const SITE = 'http://localhost:3100';
const PASSWORD = 'correct horse battery staple';
const JSON_ACCEPT = { Accept: 'application/json' };

function newUser(): User {
  const suffix = `${Date.now()}-${Math.random().toString(36).slice(2, 10)}`;
  return { email: `pk-${suffix}@example.com`, username: `pk_${Math.random().toString(36).slice(2, 10)}`, password: PASSWORD };
}

test.beforeEach(async ({ page }) => recordPageErrors(page));

/** Adds a virtual platform authenticator to the page's browser. */
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

/** Whether the authenticator answers by itself (a person touching it). */
async function presence(authenticator: { cdp: CDPSession; id: string }, enabled: boolean): Promise<void> {
  await authenticator.cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId: authenticator.id, enabled });
}

async function goto(page: Page, path: string): Promise<void> {
  await page.goto(`${SITE}${path}`);
  await page.locator('main[data-hydrated="true"]').waitFor({ state: 'attached', timeout: 15_000 });
}

async function logInWithPassword(page: Page, user: User): Promise<void> {
  await goto(page, '/login');
  await fillLogin(page, user.email, user.password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
}

async function logOut(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Account' }).getByRole('button', { name: 'Log out', exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
}

/** Adds a passkey named `name` from the settings (logged in, on a settings page: it opens Security). */
async function addPasskey(page: Page, name: string, password: string): Promise<void> {
  await openSettings(page, 'Security');
  const region = page.getByRole('region', { name: 'Passkeys', exact: true });
  await region.getByLabel('Passkey name', { exact: true }).fill(name);
  await region.getByLabel('Your password', { exact: true }).fill(password);
  await region.getByRole('button', { name: 'Add a passkey', exact: true }).click();
  await expect(region.getByRole('list', { name: 'Your passkeys' }).getByText(name, { exact: true })).toBeVisible();
}

test('a passkey added from the profile signs in without the address or the password', async ({ page, request }) => {
  const authenticator = await virtualAuthenticator(page);
  const { cdp, id } = authenticator;
  const user = newUser();
  await signUpViaApi(request, user);
  await verifyViaMail(request, user.email);
  await logInWithPassword(page, user);
  await expect(page).toHaveURL(/\/profile$/);
  await addPasskey(page, 'Work laptop', user.password);
  // The authenticator keeps it as a discoverable credential for localhost.
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId: id });
  expect(credentials).toHaveLength(1);
  expect(credentials[0].isResidentCredential).toBe(true);
  expect(credentials[0].rpId).toBe('localhost');

  // The button: the autofill request waits (no presence) until the dialog replaces it.
  await presence(authenticator, false);
  await logOut(page);
  await expect(page.getByRole('button', { name: 'Sign in with a passkey', exact: true })).toBeVisible();
  await presence(authenticator, true);
  await page.getByRole('button', { name: 'Sign in with a passkey', exact: true }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByText(user.email)).toBeVisible();
  // The list says it was used.
  await openSettings(page, 'Security');
  const region = page.getByRole('region', { name: 'Passkeys', exact: true });
  await expect(region.getByText(/last used \d{4}-\d{2}-\d{2}/)).toBeVisible();

  // The autofill: picking the passkey among the address field's suggestions (the virtual
  // authenticator picks it by itself) signs in without any click.
  await presence(authenticator, false);
  await logOut(page);
  await presence(authenticator, true);
  await goto(page, '/login');
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByText(user.email)).toBeVisible();
  await expect(page.getByLabel('Email', { exact: true })).toHaveCount(0);
});

test('a deleted passkey no longer signs in', async ({ page, request }) => {
  await virtualAuthenticator(page);
  const user = newUser();
  await signUpViaApi(request, user);
  await verifyViaMail(request, user.email);
  await logInWithPassword(page, user);
  await expect(page).toHaveURL(/\/profile$/);
  await addPasskey(page, 'Old phone', user.password);
  const region = page.getByRole('region', { name: 'Passkeys', exact: true });
  await region.getByRole('button', { name: 'Delete passkey: Old phone', exact: true }).click();
  await expect(region.getByText('No passkeys yet.')).toBeVisible();
  await logOut(page);

  // The authenticator still holds it, but the server forgot it.
  await goto(page, '/login');
  await page.getByRole('button', { name: 'Sign in with a passkey', exact: true }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Passkey not recognised' })).toBeVisible();
  await expect(page).toHaveURL(/\/login$/);
});

/** Turns on an authenticator app for `user` through the API; returns its secret. */
async function enableTotpViaApi(request: APIRequestContext, user: User): Promise<string> {
  const login = await request.post('/auth/login', { data: { email: user.email, password: user.password }, headers: JSON_ACCEPT });
  expect(login.status()).toBe(200);
  const auth = { ...JSON_ACCEPT, Authorization: `Bearer ${(await login.json()).access_token}` };
  const setup = await request.post('/auth/totp/setup', { data: { password: user.password }, headers: auth });
  expect(setup.status(), await setup.text()).toBe(200);
  const secret = (await setup.json()).secret as string;
  const enable = await request.post('/auth/totp/enable', { data: { code: totpCode(secret, nowSeconds()) }, headers: auth });
  expect(enable.status(), await enable.text()).toBe(200);
  return secret;
}

test('with two-step verification on, a passkey replaces the code', async ({ page, request }) => {
  const authenticator = await virtualAuthenticator(page);
  const user = newUser();
  await signUpViaApi(request, user);
  await verifyViaMail(request, user.email);
  await logInWithPassword(page, user);
  await expect(page).toHaveURL(/\/profile$/);
  await addPasskey(page, 'Laptop', user.password);
  await enableTotpViaApi(request, user);
  // Logging in with the password this time: the autofill request must not answer first.
  await presence(authenticator, false);
  await logOut(page);

  await logInWithPassword(page, user);
  await expect(page.getByLabel('Code from your app', { exact: true })).toBeVisible();
  await presence(authenticator, true);
  await page.getByRole('button', { name: 'Use a passkey', exact: true }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByText(user.email)).toBeVisible();
});

test('a passkey signature works once: replayed, on its ceremony or on a new one, it is refused', async ({ page, request }) => {
  await virtualAuthenticator(page);
  const user = newUser();
  await signUpViaApi(request, user);
  await verifyViaMail(request, user.email);
  await logInWithPassword(page, user);
  await expect(page).toHaveURL(/\/profile$/);
  await addPasskey(page, 'Laptop', user.password);

  // An attacker's script in the page: one ceremony, its answer sent twice, then to a fresh one.
  const outcome = await page.evaluate(async () => {
    const post = async (path: string, body: unknown) => {
      const res = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: await res.json() };
    };
    const start = await post('/auth/passkeys/sign-in/start', {});
    const pkc = PublicKeyCredential as unknown as { parseRequestOptionsFromJSON(o: unknown): PublicKeyCredentialRequestOptions };
    const credential = (await navigator.credentials.get({ publicKey: pkc.parseRequestOptionsFromJSON(start.body.options.publicKey) })) as PublicKeyCredential;
    const answer = (credential as unknown as { toJSON(): unknown }).toJSON();
    const first = await post('/auth/passkeys/sign-in/finish', { ceremony_id: start.body.ceremony_id, credential: answer });
    const replayed = await post('/auth/passkeys/sign-in/finish', { ceremony_id: start.body.ceremony_id, credential: answer });
    const fresh = await post('/auth/passkeys/sign-in/start', {});
    const elsewhere = await post('/auth/passkeys/sign-in/finish', { ceremony_id: fresh.body.ceremony_id, credential: answer });
    return { first: first.status, token: first.body.token_type, replayed: replayed.status, elsewhere: elsewhere.status, detail: elsewhere.body.detail };
  });
  expect(outcome).toEqual({ first: 200, token: 'bearer', replayed: 400, elsewhere: 401, detail: 'Passkey not recognised' });
});
