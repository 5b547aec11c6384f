import { test, expect, type Page } from '@playwright/test';
import { createAdmin, gotoHydrated, logInViaUi, recordPageErrors, signUpViaApi, type User } from './support';

// A quiet browser console: visiting any page, logged out or in, makes no request that
// fails (a 4xx/5xx answer or a network error) and logs no console error or warning.
// In particular a logged-out visit asks POST /auth/refresh without a cookie, which is
// answered 204 rather than 401.

const PAGES = [
  '/',
  '/signup',
  '/login',
  '/forgot-password',
  '/reset-password',
  '/verify-email',
  '/confirm-email',
  '/profile',
  '/settings/profile',
  '/settings/security',
  '/settings/account',
  '/admin',
];

function newUser(prefix: string): User {
  const suffix = `${Date.now()}-${Math.random().toString(36).slice(2, 10)}`;
  return { email: `${prefix}-${suffix}@example.com`, username: `${prefix} ${suffix}`, password: 'correct horse battery staple' };
}

/** Everything that went wrong in `page` while it was being watched. */
function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console.${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('requestfailed', (req) => problems.push(`failed: ${req.method()} ${req.url()} ${req.failure()?.errorText}`));
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`${res.status()}: ${res.request().method()} ${res.url()}`);
  });
  return problems;
}

async function visitEveryPage(page: Page, problems: string[]): Promise<void> {
  for (const path of PAGES) {
    await gotoHydrated(page, path);
    // Let the page's own requests (session restore, the account) finish.
    await page.waitForLoadState('networkidle');
    expect(problems, `visiting ${path}`).toEqual([]);
  }
}

test.beforeEach(async ({ page }) => recordPageErrors(page));

test('logged out, no page makes a failed request or logs an error', async ({ page }) => {
  const problems = watch(page);
  const refreshes: number[] = [];
  page.on('response', (res) => {
    if (res.url().endsWith('/auth/refresh')) refreshes.push(res.status());
  });
  await visitEveryPage(page, problems);
  // The session restore did ask, and was told there is nobody to restore.
  expect(refreshes.length).toBeGreaterThan(0);
  expect(new Set(refreshes)).toEqual(new Set([204]));
});

test('logged in as a user, and as an admin, no page makes a failed request or logs an error', async ({
  browser,
  request,
}) => {
  const member = newUser('quiet');
  await signUpViaApi(request, member);
  const admin = newUser('quietadmin');
  createAdmin(admin);
  for (const who of [member, admin]) {
    const page = await (await browser.newContext()).newPage();
    recordPageErrors(page);
    await logInViaUi(page, who.email, who.password);
    const problems = watch(page);
    await visitEveryPage(page, problems);
    // Still logged in at the end: every page load restored the session.
    await gotoHydrated(page, '/profile');
    await expect(page.getByText(who.email)).toBeVisible();
    expect(problems).toEqual([]);
    await page.context().close();
  }
});
