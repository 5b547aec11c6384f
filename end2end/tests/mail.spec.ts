import { test, expect } from '@playwright/test';
import { fillLogin, gotoHydrated, linkInMail, logInViaUi, mailsTo, recordPageErrors, signUpViaApi } from './support';

// Journeys that go through a real mailbox (forgot password, verify the address, change it):
// start-server.sh runs an SMTP server (aiosmtpd) that stores every message in the Maildir
// $E2E_DATA_DIR/maildir; these tests read the links there.

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a completely new passphrase 77';

function newEmail(): string {
  return `mail-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

test.beforeEach(async ({ page }) => recordPageErrors(page));

test('forgot password: the mailed link sets a new password, the old one stops working', async ({ page, request }) => {
  const email = newEmail();
  await signUpViaApi(request, { email, password: PASSWORD, username: 'mailer' });

  await gotoHydrated(page, '/login');
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Forgot your password?' })).toBeVisible();
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await expect(page.getByRole('status')).toContainText('If that address has an account, a reset link is on its way');

  const link = await linkInMail(email, '/reset-password');
  await gotoHydrated(page, link.replace('http://localhost:3100', ''));
  await expect(page.getByRole('heading', { level: 1, name: 'Choose a new password' })).toBeVisible();
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await expect(page.getByRole('status')).toContainText('Your password has been changed');

  // The same link a second time (a fresh page load) is refused.
  await page.goto('about:blank');
  await gotoHydrated(page, link.replace('http://localhost:3100', ''));
  await page.getByLabel('New password', { exact: true }).fill('yet another passphrase 88');
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await expect(page.getByRole('alert')).toContainText('Invalid or expired link');

  await gotoHydrated(page, '/login');
  await fillLogin(page, email, PASSWORD);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect(page.getByRole('alert')).toContainText('Incorrect email or password');
  await page.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.locator('main')).toContainText(email);
  await expect.poll(() => mailsTo(email).some((m) => m.includes('Subject: Your AuthKit password was changed'))).toBe(true);
});

test('a reset page opened without its token says so', async ({ page }) => {
  await gotoHydrated(page, '/reset-password');
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await expect(page.getByRole('alert')).toContainText('This link is incomplete');
});

test('sign up, verify from the mail: the profile shows the address as verified', async ({ page }) => {
  const email = newEmail();
  await gotoHydrated(page, '/signup');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Username', { exact: true }).fill('verifier');
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up', exact: true }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.locator('main')).toContainText('not verified');
  await page.getByRole('button', { name: 'Resend verification email' }).click();
  await expect(page.getByRole('status')).toContainText('A verification link is on its way');

  const link = await linkInMail(email, '/verify-email');
  await gotoHydrated(page, link.replace('http://localhost:3100', ''));
  await expect(page.getByRole('heading', { level: 1, name: 'Verify your email address' })).toBeVisible();
  await page.getByRole('button', { name: 'Verify my email address' }).click();
  await expect(page.getByRole('status')).toContainText('Your email address is verified.');
  await page.getByRole('link', { name: 'Go to your profile' }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.locator('main')).toContainText('Your email address is verified.');
  await expect(page.getByRole('button', { name: 'Resend verification email' })).toHaveCount(0);
});

test('change email: confirmed from the new address, then log in with it', async ({ page, request }) => {
  const email = newEmail();
  const newAddress = newEmail();
  await signUpViaApi(request, { email, password: PASSWORD, username: 'mover' });
  await logInViaUi(page, email, PASSWORD);

  await page.getByLabel('New email', { exact: true }).fill(newAddress);
  // The profile has other forms asking for the password (two-step verification, passkeys).
  const changeForm = page.locator('form', { has: page.getByLabel('New email', { exact: true }) });
  await changeForm.getByLabel('Your password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Send confirmation link' }).click();
  await expect(page.getByRole('status')).toContainText('A confirmation link is on its way to the new address');
  await expect
    .poll(() => mailsTo(email).some((m) => m.includes('Subject: Your AuthKit email address is being changed')))
    .toBe(true);

  const link = await linkInMail(newAddress, '/confirm-email');
  await gotoHydrated(page, link.replace('http://localhost:3100', ''));
  await expect(page.getByRole('heading', { level: 1, name: 'Confirm your new email address' })).toBeVisible();
  await page.getByRole('button', { name: 'Use this address' }).click();
  await expect(page.getByRole('status')).toContainText(`Your account's email address is now ${newAddress}.`);

  await page.getByRole('link', { name: 'Go to your profile' }).click();
  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
  await fillLogin(page, email, PASSWORD);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect(page.getByRole('alert')).toContainText('Incorrect email or password');
  await page.getByLabel('Email', { exact: true }).fill(newAddress);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.locator('main')).toContainText(newAddress);
  await expect(page.locator('main')).toContainText('Your email address is verified.');
});
