import { test, expect, type APIRequestContext, type Locator, type Page } from '@playwright/test';
import { fillLogin, gotoHydrated, logInViaUi, nowSeconds, openSettings, recordPageErrors, signUpViaApi, verifyViaMail, totpCode, type User } from './support';

// Two-step verification: an authenticator app (TOTP, RFC 6238: SHA-1, 6 digits, 30-second
// steps) plus ten single-use recovery codes.
// UI contract:
// - /settings/security: a <section> named "Two-step verification" (role region) holds everything;
//   other settings forms also have a "Your password" field, so every locator is scoped to it.
//   Off: status "Off", "Your password", button "Set up two-step verification" → the secret
//   (data-testid="totp-secret", base32), a QR code (img "QR code for your authenticator
//   app"), "Code from your app", button "Turn on" → list "Recovery codes" (10 items),
//   button "I have saved them" → status "On". On: a form "Your password" + "Code" + button
//   "Turn off two-step verification", and one with the same fields + "Get new recovery codes".
// - /login: after the password, still /login, "Code from your app" + button "Verify"; button
//   "Use a recovery code instead" switches to "Recovery code"; a wrong code → alert
//   "Invalid code".
// - API: POST /auth/login answers 401 {"detail":"Second factor required","mfa_token",
//   "methods"}; POST /auth/login/mfa {"mfa_token","code"|"recovery_code"} → 200 with a token.
// The codes are computed here from the secret the page shows (support.ts totpCode). The
// server accepts each 30-second step at most once per account (and ±1 step around its
// clock), so a test needing another code asks for the next step's (+30 s), never waits.

const PASSWORD = 'correct horse battery staple';
const JSON_ACCEPT = { Accept: 'application/json' };

function newUser(): User {
  const suffix = `${Date.now()}-${Math.random().toString(36).slice(2, 10)}`;
  return { email: `mfa-${suffix}@example.com`, username: `mfa_${Math.random().toString(36).slice(2, 10)}`, password: PASSWORD };
}

test.beforeEach(async ({ page }) => recordPageErrors(page));

/** The two-step verification section of the settings' Security page. */
function section(page: Page): Locator {
  return page.getByRole('region', { name: 'Two-step verification', exact: true });
}

/** The section's status line says `state` (and not the other one). Case-sensitive, whole
 *  word: "Turn on" and "Turn off two-step verification" do not count. */
async function expectStatus(region: Locator, state: 'On' | 'Off'): Promise<void> {
  const other = state === 'On' ? 'Off' : 'On';
  await expect(region.getByText(new RegExp(`\\b${state}\\b`))).toBeVisible();
  await expect(region.getByText(new RegExp(`\\b${other}\\b`))).toHaveCount(0);
}

/**
 * Turns two-step verification on from the settings (logged in, on a settings page, with it
 * off: it opens Security), using the current step's code. Returns the secret read from the page, that code
 * (spent from then on) and the recovery codes shown once.
 */
async function enrolTotp(page: Page, password: string): Promise<{ secret: string; enrolCode: string; codes: string[] }> {
  await openSettings(page, 'Security');
  const region = section(page);
  await expectStatus(region, 'Off');
  await region.getByLabel('Your password', { exact: true }).fill(password);
  await region.getByRole('button', { name: 'Set up two-step verification', exact: true }).click();

  // The secret for typing in by hand: base32 without spaces or padding, at least the 128
  // bits RFC 4226 requires (26 characters).
  const secretText = region.getByTestId('totp-secret');
  await expect(secretText).toHaveText(/^[A-Z2-7]{26,}$/i);
  const secret = (await secretText.textContent())!.trim();
  await expect(region.getByRole('img', { name: 'QR code for your authenticator app', exact: true })).toBeVisible();

  // Computed at the last moment: the server allows one step either side anyway.
  const enrolCode = totpCode(secret, nowSeconds());
  await region.getByLabel('Code from your app', { exact: true }).fill(enrolCode);
  await region.getByRole('button', { name: 'Turn on', exact: true }).click();

  // Ten distinct recovery codes like abcd-efgh-jkmn-pqrs, shown this once.
  const list = region.getByRole('list', { name: 'Recovery codes', exact: true });
  await expect(list.getByRole('listitem')).toHaveCount(10);
  const codes = (await list.getByRole('listitem').allInnerTexts()).map((code) => code.trim());
  for (const code of codes) expect(code).toMatch(/^[0-9a-z]+(?:-[0-9a-z]+)+$/);
  expect(new Set(codes).size, `distinct recovery codes: ${codes.join(' ')}`).toBe(10);
  await region.getByRole('button', { name: 'I have saved them', exact: true }).click();
  await expect(list).toBeHidden();
  await expectStatus(region, 'On');
  return { secret, enrolCode, codes };
}

/** Logs out from the top bar. */
async function logOut(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Account' }).getByRole('button', { name: 'Log out', exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
}

/** Logs in with the password of an account with a second factor: the page stays on /login
 *  and asks for a code; nobody is logged in yet. */
async function logInToCodeStep(page: Page, user: User): Promise<void> {
  await gotoHydrated(page, '/login');
  await fillLogin(page, user.email, user.password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect(page.getByLabel('Code from your app', { exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Verify', exact: true })).toBeVisible();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Log in' })).toBeVisible();
}

/** A code the server must refuse now: one of a step an hour away, skipping the (one in a
 *  million) chance that it equals a code the server would accept at this moment. */
function wrongCode(secret: string): string {
  const now = nowSeconds();
  const acceptable = [-30, 0, 30, 60].map((offset) => totpCode(secret, now + offset));
  for (let offset = 3600; ; offset += 30) {
    const code = totpCode(secret, now + offset);
    if (!acceptable.includes(code)) return code;
  }
}

/** The password step through the API: the 401 asking for a second factor; its mfa_token. */
async function passwordStepViaApi(request: APIRequestContext, user: User): Promise<string> {
  const res = await request.post('/auth/login', { data: { email: user.email, password: user.password }, headers: JSON_ACCEPT });
  const text = await res.text();
  expect(res.status(), `POST /auth/login: ${text}`).toBe(401);
  const body = JSON.parse(text);
  expect(body).toMatchObject({ detail: 'Second factor required', methods: expect.arrayContaining(['totp', 'recovery_code']) });
  expect(body.mfa_token, text).toEqual(expect.any(String));
  return body.mfa_token;
}

test('turned on from the profile, the app code is asked for at login', async ({ page, request }) => {
  const user = newUser();
  await signUpViaApi(request, user);
  await verifyViaMail(request, user.email);
  await logInViaUi(page, user.email, user.password);
  const { secret, enrolCode } = await enrolTotp(page, user.password);

  // It is the account's state, not the page's: a fresh load still says On, and offers
  // turning it off and new recovery codes instead of a new setup.
  await gotoHydrated(page, '/settings/security');
  const region = section(page);
  await expectStatus(region, 'On');
  await expect(region.getByRole('button', { name: 'Turn off two-step verification', exact: true })).toBeVisible();
  await expect(region.getByRole('button', { name: 'Get new recovery codes', exact: true })).toBeVisible();
  await expect(region.getByRole('button', { name: 'Set up two-step verification', exact: true })).toHaveCount(0);

  await logOut(page);
  await logInToCodeStep(page, user);
  const codeField = page.getByLabel('Code from your app', { exact: true });
  const verify = page.getByRole('button', { name: 'Verify', exact: true });
  await codeField.fill(wrongCode(secret));
  await verify.click();
  await expect(page.getByRole('alert')).toContainText('Invalid code');
  await expect(page).toHaveURL(/\/login$/);
  // The code that turned it on is spent: replaying it is refused as well.
  await codeField.fill(enrolCode);
  await verify.click();
  await expect(page.getByRole('alert')).toContainText('Invalid code');
  await expect(page).toHaveURL(/\/login$/);
  // The next step's code (what the app shows 30 s later) lets us in.
  await codeField.fill(totpCode(secret, nowSeconds() + 30));
  await verify.click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByText(user.email)).toBeVisible();
});

test('a recovery code logs in instead of the app, once only', async ({ page, request }) => {
  const user = newUser();
  await signUpViaApi(request, user);
  await verifyViaMail(request, user.email);
  await logInViaUi(page, user.email, user.password);
  const { codes } = await enrolTotp(page, user.password);
  await logOut(page);

  await logInToCodeStep(page, user);
  await page.getByRole('button', { name: 'Use a recovery code instead', exact: true }).click();
  await expect(page.getByLabel('Code from your app', { exact: true })).toHaveCount(0);
  await page.getByLabel('Recovery code', { exact: true }).fill(codes[3]);
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByText(user.email)).toBeVisible();
  await logOut(page);

  // The same recovery code a second time (through the API, to be quick) is refused...
  const token = await passwordStepViaApi(request, user);
  const reused = await request.post('/auth/login/mfa', { data: { mfa_token: token, recovery_code: codes[3] }, headers: JSON_ACCEPT });
  expect(reused.status(), `POST /auth/login/mfa with a used recovery code: ${await reused.text()}`).toBe(401);
  // ...while an unused one, on a fresh challenge, still works: the refusal was about the
  // code being spent, not about the API call.
  const fresh = await passwordStepViaApi(request, user);
  const unused = await request.post('/auth/login/mfa', { data: { mfa_token: fresh, recovery_code: codes[4] }, headers: JSON_ACCEPT });
  expect(unused.status(), `POST /auth/login/mfa with an unused recovery code: ${await unused.text()}`).toBe(200);
  expect(await unused.json()).toMatchObject({ access_token: expect.any(String), token_type: 'bearer' });
});

test('turned off with the password and a code, the password alone logs in again', async ({ page, request }) => {
  const user = newUser();
  await signUpViaApi(request, user);
  await verifyViaMail(request, user.email);
  await logInViaUi(page, user.email, user.password);
  const { secret } = await enrolTotp(page, user.password);

  // Two forms in the section have the same labels: scope to the one that turns it off.
  const region = section(page);
  const turnOff = region.locator('form', {
    has: page.getByRole('button', { name: 'Turn off two-step verification', exact: true }),
  });
  await turnOff.getByLabel('Your password', { exact: true }).fill(user.password);
  // The current step's code was spent turning it on: the next step's.
  await turnOff.getByLabel('Code', { exact: true }).fill(totpCode(secret, nowSeconds() + 30));
  await turnOff.getByRole('button', { name: 'Turn off two-step verification', exact: true }).click();
  await expectStatus(region, 'Off');
  await expect(region.getByRole('button', { name: 'Set up two-step verification', exact: true })).toBeVisible();

  // No code step any more: logInViaUi expects the profile straight after "Log in".
  await logOut(page);
  await logInViaUi(page, user.email, user.password);
});

test('with two-step verification on, moving the account to another address asks for a code too', async ({ page, request }) => {
  const user = newUser();
  await signUpViaApi(request, user);
  await verifyViaMail(request, user.email);
  await logInViaUi(page, user.email, user.password);
  const { secret } = await enrolTotp(page, user.password);

  // The password alone would be enough for whoever finds this browser signed in: the form
  // asks for a code beside it, and sends nothing without one.
  await gotoHydrated(page, '/settings/profile');
  const form = page.locator('form', { has: page.getByLabel('New email', { exact: true }) });
  const codeField = form.getByLabel('Code from your app, or a recovery code', { exact: true });
  await expect(codeField).toBeVisible();
  await form.getByLabel('New email', { exact: true }).fill(`moved-${user.email}`);
  await form.getByLabel('Your password', { exact: true }).fill(user.password);
  const send = form.getByRole('button', { name: 'Send confirmation link', exact: true });
  await send.click();
  await expect(form.locator('.alert')).toHaveText('Enter a code from your authenticator app (or a recovery code)');
  // The code that turned it on is spent: the app's next one.
  await codeField.fill(totpCode(secret, nowSeconds() + 30));
  await send.click();
  await expect(form.getByRole('status')).toContainText('A confirmation link is on its way to the new address');
  await expect(codeField).toHaveValue('');
});
