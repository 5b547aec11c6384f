import { test, expect, type Page } from '@playwright/test';
import { gotoHydrated, logInViaUi, openSettings, recordPageErrors, signUpViaApi, verifyViaMail, type SettingsSection, type User } from './support';

// The settings area (src/ui/settings): one section per feature, each at its own address —
// /settings/profile (where a login lands; /profile and /settings lead there too),
// /settings/security, /settings/account — with a navigation named "Settings" whose current
// link is aria-current="page": beside the section on a wide screen, above it on a phone.

test.beforeEach(async ({ page }) => recordPageErrors(page));

function newUser(): User {
  const suffix = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  return { email: `settings-${suffix}@example.com`, username: `settings_${suffix}`, password: 'correct horse battery staple' };
}

/** Each section: its page heading, then the headings of what it holds. */
const SECTIONS: [SettingsSection, string, string[]][] = [
  ['Profile', 'Your profile', ['Change your username', 'Change email']],
  ['Security', 'Security', ['Change your password', 'Two-step verification', 'Passkeys', 'Sessions']],
  ['Account', 'Your account', ['Delete your account']],
];

async function expectSection(page: Page, title: string, holds: string[]): Promise<void> {
  await expect(page.getByRole('heading', { level: 1, name: title, exact: true })).toBeVisible();
  for (const heading of holds) {
    await expect(page.getByRole('heading', { level: 2, name: heading, exact: true })).toBeVisible();
  }
  await expect(page).toHaveTitle(`${title} · AuthKit`);
}

test('each section of the settings has its own address, and /profile still leads there', async ({ page, request }) => {
  const user = newUser();
  await signUpViaApi(request, user);
  await logInViaUi(page, user.email, user.password);
  await expect(page).toHaveURL(/\/settings\/profile$/);

  // Through the navigation, without reloading the page...
  for (const [section, title, holds] of SECTIONS) {
    await openSettings(page, section);
    await expectSection(page, title, holds);
  }
  // ...and straight from the address bar.
  for (const [section, title, holds] of SECTIONS) {
    await gotoHydrated(page, `/settings/${section.toLowerCase()}`);
    await expectSection(page, title, holds);
  }
  for (const old of ['/profile', '/settings']) {
    await gotoHydrated(page, old);
    await expect(page).toHaveURL(/\/settings\/profile$/);
    await expect(page.getByText(user.email)).toBeVisible();
  }
  // A form works where it moved: the username, from the profile section.
  await page.getByLabel('New username').fill('renamed in settings');
  await page.getByRole('button', { name: 'Save username' }).click();
  await expect(page.locator('.details')).toContainText('renamed in settings');
  // The top bar, which reads the account on its own, says the new name too.
  await expect(page.getByRole('navigation', { name: 'Account' })).toContainText('Signed in as renamed in settings');
});

test('logged out, every section sends you to the login page', async ({ page }) => {
  for (const section of ['profile', 'security', 'account']) {
    await gotoHydrated(page, `/settings/${section}`);
    await expect(page).toHaveURL(/\/login$/);
  }
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 375, height: 740 } });

  test('the navigation sits above the section, every link in view', async ({ page, request }) => {
    const user = newUser();
    await signUpViaApi(request, user);
    await logInViaUi(page, user.email, user.password);
    const nav = page.getByRole('navigation', { name: 'Settings' });
    const links = nav.getByRole('link');
    await expect(links).toHaveCount(3);
    for (const link of await links.all()) await expect(link).toBeInViewport();
    const navBox = (await nav.boundingBox())!;
    const heading = (await page.getByRole('heading', { level: 1 }).boundingBox())!;
    expect(navBox.y + navBox.height, 'the navigation ends above the heading').toBeLessThanOrEqual(heading.y);
    // Nothing is wider than the screen.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await openSettings(page, 'Security');
    await expect(page.getByRole('heading', { level: 2, name: 'Two-step verification' })).toBeVisible();
  });
});

test('in Korean, the navigation and the headings are Korean', async ({ page, request, baseURL }) => {
  const user = newUser();
  await signUpViaApi(request, user);
  await logInViaUi(page, user.email, user.password);
  // The language chosen earlier in the UI (the `lang` cookie), on the next visit.
  await page.context().addCookies([{ name: 'lang', value: 'ko', url: baseURL! }]);
  await gotoHydrated(page, '/settings/profile');
  const nav = page.getByRole('navigation', { name: '설정' });
  await expect(nav.getByRole('link')).toHaveText(['프로필', '보안', '계정']);
  await nav.getByRole('link', { name: '보안', exact: true }).click();
  await expect(page).toHaveURL(/\/settings\/security$/);
  await expect(page.getByRole('heading', { level: 1, name: '보안', exact: true })).toBeVisible();
  await expect(page.getByRole('heading', { level: 2, name: '세션', exact: true })).toBeVisible();
});

test('on the login page, "Sign in with a passkey" lines up with "Log in"', async ({ page }) => {
  await gotoHydrated(page, '/login');
  const logIn = (await page.getByRole('button', { name: 'Log in', exact: true }).boundingBox())!;
  const passkey = (await page.getByRole('button', { name: 'Sign in with a passkey', exact: true }).boundingBox())!;
  expect(Math.abs(passkey.x - logIn.x), 'same left edge').toBeLessThan(1);
  expect(Math.abs(passkey.width - logIn.width), 'same width').toBeLessThan(1);
  expect(passkey.y, 'below it').toBeGreaterThan(logIn.y + logIn.height);
});

// Issue 21 (1): a stranger who signs up with someone else's address must not add a way in
// that outlives the owner's recovery of it; the page says why, and offers the link.
test('until the address is proven, the security settings offer the link instead of an app or a passkey', async ({ page, request }) => {
  const user = newUser();
  await signUpViaApi(request, user);
  await logInViaUi(page, user.email, user.password);
  await openSettings(page, 'Security');
  const why = page.getByText('Verify your email address first');
  await expect(why).toHaveCount(2);
  await expect(page.getByRole('button', { name: 'Resend verification email' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Set up two-step verification' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Add a passkey' })).toHaveCount(0);

  await verifyViaMail(request, user.email);
  await gotoHydrated(page, '/settings/security');
  await expect(why).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Set up two-step verification' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Add a passkey' })).toBeVisible();
});
