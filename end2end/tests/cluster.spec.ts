import { test, expect, type Page, type APIResponse } from '@playwright/test';
import { gotoHydrated, recordPageErrors } from './support';

// Runs only under playwright.cluster.config.ts (`make e2e-cluster`): nginx on 127.0.0.1:3200
// balances two authkit instances (3201, 3202) round robin, with no stickiness. Staying logged
// in therefore depends on what the instances share through PostgreSQL: sessions, the signing
// key, throttles. nginx names the instance that answered in the X-Upstream response header
// (deploy/nginx-cluster.conf.template).
//
// UI contract as in auth.spec.ts: <main data-hydrated="true"> once hydrated; /signup with
// Email, Username, Password and "Sign up"; /profile with h1 "Your profile", the email and
// "Log out"; /login with h1 "Log in".

const PASSWORD = 'correct horse battery staple';
const INSTANCE = /^127\.0\.0\.1:320[12]$/;

type User = { email: string; username: string; password: string };

function newUser(): User {
  const suffix = `${Date.now()}-${Math.random().toString(36).slice(2, 10)}`;
  return {
    email: `cluster-${suffix}@example.com`,
    username: `user_${Math.random().toString(36).slice(2, 10)}`,
    password: PASSWORD,
  };
}

test.beforeEach(async ({ page }) => recordPageErrors(page));

/** The instance that answered, from nginx's X-Upstream header. */
function upstreamOf(res: APIResponse): string {
  const upstream = res.headers()['x-upstream'] ?? '';
  // One address: the first instance nginx tried answered (a failed try would add a second).
  expect(upstream, `X-Upstream of ${res.url()}`).toMatch(INSTANCE);
  return upstream;
}

test('nginx spreads requests over both instances', async ({ page }) => {
  const seen = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const res = await page.request.get('/');
    expect(res.status(), `GET / #${i + 1}`).toBe(200);
    seen.add(upstreamOf(res));
  }
  expect([...seen].sort(), 'instances that answered GET /').toHaveLength(2);
});

test('sign up, stay logged in across instances, log out', async ({ page, request }) => {
  const user = newUser();

  // Sign up through the form: lands on the profile.
  await gotoHydrated(page, '/signup');
  await expect(page.getByRole('heading', { level: 1, name: 'Create your account' })).toBeVisible();
  await page.getByLabel('Email', { exact: true }).fill(user.email);
  await page.getByLabel('Username', { exact: true }).fill(user.username);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Sign up', exact: true }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Your profile' })).toBeVisible();
  const main = page.locator('main');
  await expect(main).toContainText(user.username);
  await expect(main).toContainText(user.email);

  // The refresh cookie (the browser's own jar, shared with page.request) is rotated by each
  // instance in turn: back-to-back requests alternate under round robin, so each one
  // presents a token that the other instance issued.
  const refreshedBy = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const res = await page.request.post('/auth/refresh');
    expect(res.status(), `POST /auth/refresh #${i + 1}: ${await res.text()}`).toBe(200);
    expect((await res.json()).token_type).toBe('bearer');
    refreshedBy.add(upstreamOf(res));
  }
  expect([...refreshedBy].sort(), 'instances that rotated the refresh cookie').toHaveLength(2);

  // Reloading keeps the user logged in, whichever instance serves the page and the refresh.
  for (let i = 0; i < 2; i++) {
    await page.reload();
    await page.locator('main[data-hydrated="true"]').waitFor({ state: 'attached' });
    await expect(page).toHaveURL(/\/profile$/);
    await expect(page.getByText(user.email)).toBeVisible();
  }

  // Log out: back to the logged-out state.
  const cookie = (await page.context().cookies()).find((c) => c.name === 'refresh_token');
  expect(cookie, 'the refresh cookie before logging out').toBeDefined();
  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Log in' })).toBeVisible();
  await gotoHydrated(page, '/profile');
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Log in' })).toBeVisible();

  // The session is revoked in the database, not only forgotten by this browser: the last
  // refresh cookie is refused (two requests in a row: one to each instance).
  for (let i = 0; i < 2; i++) {
    const res = await request.post('/auth/refresh', { headers: { Cookie: `refresh_token=${cookie!.value}` } });
    expect(res.status(), `POST /auth/refresh with the logged-out cookie #${i + 1}`).toBe(401);
  }
});
