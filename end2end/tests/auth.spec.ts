import { test, expect, type Browser, type Page, type APIRequestContext } from '@playwright/test';
import { createAdmin, fillLogin, gotoHydrated, logInViaUi, openSettings, recordPageErrors, signUpViaApi, type User } from './support';

// UI contract (see the project brief):
// - once the WASM app has hydrated, <main> carries data-hydrated="true";
// - /signup: Email, Username, Password, button "Sign up" ("Signing up…" while pending);
// - /login: Email, Password, button "Log in" ("Logging in…" while pending);
// - /profile: h1 "Your profile", username + email, button "Log out";
// - errors inline in role="alert"; the session token lives only in memory.

const PASSWORD = 'correct horse battery staple';
const WRONG_PASSWORD = 'incorrect horse battery staple';

function uniqueSuffix(): string {
  return `${Date.now()}-${Math.random().toString(36).slice(2, 10)}`;
}

function newUser(): User {
  const suffix = uniqueSuffix();
  return {
    email: `user-${suffix}@example.com`,
    // letters, digits and underscore only, 3..32 characters
    username: `user_${Math.random().toString(36).slice(2, 10)}`,
    password: PASSWORD,
  };
}

test.beforeEach(async ({ page }) => recordPageErrors(page));

async function fillSignup(page: Page, user: User): Promise<void> {
  await page.getByLabel('Email', { exact: true }).fill(user.email);
  await page.getByLabel('Username', { exact: true }).fill(user.username);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
}

async function signUpViaUi(page: Page, user: User): Promise<void> {
  await gotoHydrated(page, '/signup');
  await expect(page.getByRole('heading', { level: 1, name: 'Create your account' })).toBeVisible();
  await fillSignup(page, user);
  await page.getByRole('button', { name: 'Sign up', exact: true }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Your profile' })).toBeVisible();
}

test('the home page links to sign up and log in', async ({ page }) => {
  await gotoHydrated(page, '/');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('AuthKit');
  await expect(page.getByRole('main').getByRole('link', { name: 'Sign up', exact: true })).toHaveAttribute('href', '/signup');
  await expect(page.getByRole('main').getByRole('link', { name: 'Log in', exact: true })).toHaveAttribute('href', '/login');
});

test('@hydration sign up lands on the profile showing the name', async ({ page }) => {
  const user = newUser();
  await signUpViaUi(page, user);
  const main = page.locator('main');
  await expect(main).toContainText(user.username);
  await expect(main).toContainText(user.email);
  await expect(page.getByRole('button', { name: 'Log out', exact: true })).toBeVisible();
});

test('@hydration the signup form submits without a page reload', async ({ page }) => {
  const user = newUser();
  await gotoHydrated(page, '/signup');
  await page.evaluate(() => {
    (window as unknown as { __noReload?: number }).__noReload = 42;
  });
  await fillSignup(page, user);
  await page.getByRole('button', { name: 'Sign up', exact: true }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Your profile' })).toBeVisible();
  await expect(page.locator('main')).toContainText(user.username);
  const marker = await page.evaluate(() => (window as unknown as { __noReload?: number }).__noReload);
  expect(marker, 'a full page load would have cleared window.__noReload').toBe(42);
});

test('@hydration log out returns to the login page', async ({ page }) => {
  const user = newUser();
  await signUpViaUi(page, user);
  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Log in' })).toBeVisible();

  // The session is gone: the profile sends us back to the login page.
  await gotoHydrated(page, '/profile');
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Log in' })).toBeVisible();
});

test('@hydration wrong password shows an inline error', async ({ page, request }) => {
  const user = newUser();
  await signUpViaApi(request, user);

  await gotoHydrated(page, '/login');
  await expect(page.getByRole('heading', { level: 1, name: 'Log in' })).toBeVisible();
  await fillLogin(page, user.email, WRONG_PASSWORD);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect(page.getByRole('alert')).toContainText('Incorrect email or password');
  await expect(page).toHaveURL(/\/login$/);
  // The form is usable again once the request has finished.
  await expect(page.getByRole('button', { name: 'Log in', exact: true })).toBeEnabled();
});

test('profile while logged out redirects to login', async ({ page }) => {
  await gotoHydrated(page, '/profile');
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Log in' })).toBeVisible();
});

test('log in with the right password reaches the profile', async ({ page, request }) => {
  const user = newUser();
  await signUpViaApi(request, user);

  await gotoHydrated(page, '/login');
  await fillLogin(page, user.email, user.password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Your profile' })).toBeVisible();
  const main = page.locator('main');
  await expect(main).toContainText(user.username);
  await expect(main).toContainText(user.email);
});

test('invalid email is caught in the browser before any request', async ({ page }) => {
  const signupRequests: string[] = [];
  page.on('request', (req) => {
    if (new URL(req.url()).pathname.startsWith('/auth/signup')) signupRequests.push(req.url());
  });

  await gotoHydrated(page, '/signup');
  await fillSignup(page, { ...newUser(), email: 'not-an-email' });
  await page.getByRole('button', { name: 'Sign up', exact: true }).click();

  await expect(page.getByRole('alert')).toContainText(/valid email/i);
  await expect(page).toHaveURL(/\/signup$/);
  // Give a (wrongly) dispatched request time to show up before asserting there was none.
  await page.waitForTimeout(500);
  expect(signupRequests, 'no request may reach /auth/signup').toEqual([]);
});

test('the submit button shows a pending state while the request runs', async ({ page, request }) => {
  const user = newUser();
  await signUpViaApi(request, user);

  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let routed = 0;
  await page.route('**/auth/login', async (route) => {
    routed += 1;
    await gate;
    await route.continue();
  });

  await gotoHydrated(page, '/login');
  await fillLogin(page, user.email, user.password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();

  const pending = page.getByRole('button', { name: 'Logging in…', exact: true });
  try {
    await expect(pending).toBeVisible();
    await expect(pending).toBeDisabled();
    await expect(pending).toHaveText('Logging in…');
    await expect.poll(() => routed, { message: 'the login request is held at the gate' }).toBe(1);
  } finally {
    release();
  }

  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Your profile' })).toBeVisible();
});

test('user-provided text is rendered escaped', async ({ page }) => {
  const user = { ...newUser(), username: '<img src=x onerror="window.__xss=1">' };
  await signUpViaUi(page, user);

  const main = page.locator('main');
  await expect(main).toContainText(user.username);
  await expect(main.locator('img[src="x"]')).toHaveCount(0);
  const xss = await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss);
  expect(xss).toBeUndefined();
});

test('a common password is refused with a reason shown inline', async ({ page }) => {
  const user = { ...newUser(), password: 'password123' };
  await gotoHydrated(page, '/signup');
  await fillSignup(page, user);
  await page.getByRole('button', { name: 'Sign up', exact: true }).click();
  await expect(page.getByRole('alert')).toContainText('too common or easy to guess');
  await expect(page).toHaveURL(/\/signup$/);
});

test('@hydration pages hydrate under the Content-Security-Policy without violations', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (msg) => {
    if (/Content.Security.Policy|Refused to/i.test(msg.text())) violations.push(msg.text());
  });
  for (const path of ['/', '/signup', '/login']) {
    const response = await page.goto(path);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("'wasm-unsafe-eval'");
    expect(csp).toContain("frame-ancestors 'none'");
    await page.locator('main[data-hydrated="true"]').waitFor({ state: 'attached', timeout: 15_000 });
  }
  expect(violations).toEqual([]);
});

// ---------------------------------------------------------------- sessions, account, roles

/** One user, logged in (through the UI) in two separate browser contexts. */
async function oneUserInTwoBrowsers(browser: Browser, request: APIRequestContext) {
  const user = newUser();
  await signUpViaApi(request, user);
  const first = await (await browser.newContext()).newPage();
  const second = await (await browser.newContext()).newPage();
  await logInViaUi(first, user.email, user.password);
  await logInViaUi(second, user.email, user.password);
  return { user, first, second };
}

test('@hydration reload keeps me logged in', async ({ page }) => {
  const user = newUser();
  await signUpViaUi(page, user);
  await page.reload();
  await page.locator('main[data-hydrated="true"]').waitFor({ state: 'attached' });
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByText(user.email)).toBeVisible();
  // Visiting the page afresh works too: the session comes from the HttpOnly cookie.
  await gotoHydrated(page, '/profile');
  await expect(page.getByText(user.email)).toBeVisible();
  const readable = await page.evaluate(() => document.cookie);
  expect(readable).not.toContain('refresh_token');
  // document.cookie on /profile could never show a Path=/auth cookie anyway: read the
  // browser's own cookie jar and check the flags themselves.
  const jar = await page.context().cookies();
  const refresh = jar.find((c) => c.name === 'refresh_token');
  expect(refresh, JSON.stringify(jar)).toBeDefined();
  expect(refresh?.httpOnly).toBe(true);
  expect(refresh?.sameSite).toBe('Strict');
  expect(refresh?.path).toBe('/auth');
  const device = jar.find((c) => c.name === 'authkit_device');
  expect(device?.httpOnly).toBe(true);
});

test('log out everywhere in one browser cuts off another browser', async ({ browser, request }) => {
  const { user, first, second } = await oneUserInTwoBrowsers(browser, request);

  await openSettings(first, 'Security');
  await first.getByRole('button', { name: 'Log out everywhere' }).click();
  await expect(first).toHaveURL(/\/login$/);
  // The other browser's next request is refused, and it is sent to the login page.
  await second.getByLabel('New username').fill('still here?');
  await second.getByRole('button', { name: 'Save username' }).click();
  await expect(second).toHaveURL(/\/login$/);
  await gotoHydrated(second, '/profile');
  await expect(second).toHaveURL(/\/login$/);
});

test('log out ends this browser session for good', async ({ page }) => {
  const user = newUser();
  await signUpViaUi(page, user);
  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.reload();
  await page.locator('main[data-hydrated="true"]').waitFor({ state: 'attached' });
  await gotoHydrated(page, '/profile');
  await expect(page).toHaveURL(/\/login$/);
});

test('changing the password logs out the other browser', async ({ browser, request }) => {
  const { user, first, second } = await oneUserInTwoBrowsers(browser, request);

  await openSettings(first, 'Security');
  await first.getByLabel('Current password').fill(user.password);
  await first.getByLabel('New password').fill('a brand new passphrase here');
  await first.getByRole('button', { name: 'Change password' }).click();
  await expect(first.getByRole('status')).toContainText('Password changed');
  // This browser stays logged in (fresh tokens), the other one is out.
  await first.reload();
  await expect(first).toHaveURL(/\/settings\/security$/);
  await expect(first.getByLabel('Current password')).toBeVisible();
  await gotoHydrated(first, '/settings/profile');
  await expect(first.getByText(user.email)).toBeVisible();
  await gotoHydrated(second, '/profile');
  await expect(second).toHaveURL(/\/login$/);
});

test('a deleted account cannot log in', async ({ page }) => {
  const user = newUser();
  await signUpViaUi(page, user);
  await openSettings(page, 'Account');
  await page.getByRole('button', { name: 'Delete account' }).click();
  await page.getByLabel('Confirm with your password').fill(user.password);
  await page.getByRole('button', { name: 'Delete my account permanently' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await fillLogin(page, user.email, user.password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect(page.getByRole('alert')).toContainText('Incorrect email or password');
});

test('the top bar shows who is logged in, with Profile and Log out', async ({ page }) => {
  const user = newUser();
  await gotoHydrated(page, '/');
  const bar = page.getByRole('navigation', { name: 'Account' });
  await expect(bar.getByRole('link', { name: 'Log in' })).toBeVisible();
  await expect(bar.getByRole('link', { name: 'Sign up' })).toBeVisible();
  await signUpViaUi(page, user);
  await expect(bar).toContainText(`Signed in as ${user.username}`);
  await expect(bar.getByRole('link', { name: 'Log in' })).toHaveCount(0);
  await expect(bar.getByRole('link', { name: 'Admin' })).toHaveCount(0);
  // From another page, Profile leads back to the profile.
  await page.getByRole('link', { name: 'AuthKit' }).click();
  await bar.getByRole('link', { name: 'Profile' }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await bar.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(bar.getByRole('link', { name: 'Sign up' })).toBeVisible();
  await expect(bar).not.toContainText('Signed in as');
});

test('a non-admin cannot use the admin page', async ({ page }) => {
  await signUpViaUi(page, newUser());
  await expect(page.getByRole('link', { name: 'Manage users' })).toHaveCount(0);
  await gotoHydrated(page, '/admin');
  await expect(page.getByRole('heading', { level: 1, name: 'Not allowed' })).toBeVisible();
  await expect(page.getByRole('table')).toHaveCount(0);
});

test('an admin can promote a user', async ({ browser, request }) => {
  const admin = newUser();
  const member = newUser();
  createAdmin(admin);
  await signUpViaApi(request, member);

  const memberPage = await (await browser.newContext()).newPage();
  await logInViaUi(memberPage, member.email, member.password);
  await gotoHydrated(memberPage, '/admin');
  await expect(memberPage.getByRole('heading', { level: 1, name: 'Not allowed' })).toBeVisible();

  const adminPage = await (await browser.newContext()).newPage();
  await logInViaUi(adminPage, admin.email, admin.password);
  // The top bar links to the admin page for admins.
  await expect(adminPage.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Admin' })).toBeVisible();
  await adminPage.getByRole('link', { name: 'Manage users' }).click();
  await expect(adminPage.getByRole('heading', { level: 1, name: 'Users' })).toBeVisible();
  const row = adminPage.getByRole('row').filter({ hasText: member.email });
  await expect(row.locator('td.role')).toHaveText('user');
  await adminPage.getByRole('button', { name: `Make admin: ${member.email}` }).click();
  await expect(row.locator('td.role')).toHaveText('admin');

  // The member's very next page load sees the new role.
  await gotoHydrated(memberPage, '/admin');
  await expect(memberPage.getByRole('heading', { level: 1, name: 'Users' })).toBeVisible();
});

test('two tabs restoring the session at the same moment both stay logged in', async ({ browser, request }) => {
  const user = newUser();
  await signUpViaApi(request, user);
  const context = await browser.newContext();
  const first = await context.newPage();
  await logInViaUi(first, user.email, user.password);

  // Hold every refresh request of this browser until both tabs have had the chance to
  // send one, then let them all go at once. The browser attaches the cookie when a held
  // request continues, so two held refreshes would carry the same refresh token — and
  // the second would look like a replayed, stolen token. The tabs must take turns.
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let held = 0;
  await context.route('**/auth/refresh', async (route) => {
    held += 1;
    await gate;
    await route.continue();
  });
  const firstReload = first.reload();
  const second = await context.newPage();
  await gotoHydrated(second, '/profile');
  await expect.poll(() => held).toBeGreaterThanOrEqual(1);
  await second.waitForTimeout(1500);
  release();
  await firstReload;

  await expect(first.getByText(user.email)).toBeVisible();
  await expect(second.getByText(user.email)).toBeVisible();
  // The session is intact for both: reloading either one keeps it.
  await context.unroute('**/auth/refresh');
  await second.reload();
  await expect(second.getByText(user.email)).toBeVisible();
  await first.reload();
  await expect(first.getByText(user.email)).toBeVisible();
});

test.describe('before the app has loaded (JavaScript off)', () => {
  test.use({ javaScriptEnabled: false });

  test('submitting the login or signup form never puts the password in a URL', async ({ page }) => {
    const user = newUser();
    const seen: string[] = [];
    page.on('request', (r) => seen.push(r.url()));
    page.on('framenavigated', (frame) => seen.push(frame.url()));
    // Pressing Enter submits the form the way the browser does without the app; wait for
    // the navigation it starts to be answered before going on.
    const submit = async () => {
      const answered = page.waitForResponse((r) => r.request().isNavigationRequest() && r.request().frame() === page.mainFrame());
      await page.getByLabel('Password', { exact: true }).press('Enter');
      await answered;
      await page.waitForLoadState();
    };
    await page.goto('/login');
    await fillLogin(page, user.email, user.password);
    await submit();
    // The server sends the browser back to the form (303), never to an error page.
    await expect(page).toHaveURL(/\/login$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Log in' })).toBeVisible();
    await page.goto('/signup');
    await fillSignup(page, user);
    await submit();
    expect(seen.length).toBeGreaterThan(2);
    const secretInUrl = (url: string) =>
      [user.password, encodeURIComponent(user.password), user.password.replaceAll(' ', '+')].some((form) =>
        decodeURIComponent(url).includes(form) || url.includes(form),
      );
    expect(seen.filter(secretInUrl)).toEqual([]);
  });
});
