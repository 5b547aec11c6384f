import { expect, type APIRequestContext, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';

// What every spec shares: page-error recording and navigation that waits for hydration.
// (Not a spec file itself: Playwright only runs *.spec.ts.)

// Browser-side errors seen by a page, reported when hydration never happens.
const pageErrors = new WeakMap<Page, string[]>();

/** Starts recording `page`'s errors; call it from each spec's `test.beforeEach`. */
export function recordPageErrors(page: Page): void {
  const errors: string[] = [];
  pageErrors.set(page, errors);
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
  });
}

/** Navigates to `path` and waits until the WASM app has hydrated. */
export async function gotoHydrated(page: Page, path: string): Promise<void> {
  await page.goto(path);
  try {
    await page.locator('main[data-hydrated="true"]').waitFor({ state: 'attached', timeout: 15_000 });
  } catch (e) {
    const errors = pageErrors.get(page) ?? [];
    throw new Error(
      `page ${path} (now at ${page.url()}) never hydrated: no main[data-hydrated="true"].\n` +
        (errors.length ? `Browser errors:\n  ${errors.join('\n  ')}` : 'No browser errors were reported.') +
        `\n${e}`,
    );
  }
}

export type User = { email: string; username: string; password: string };

/** Signs `user` up through the API (not the form). */
export async function signUpViaApi(request: APIRequestContext, user: User): Promise<void> {
  const res = await request.post('/auth/signup', {
    data: { email: user.email, password: user.password, username: user.username },
    headers: { Accept: 'application/json' },
  });
  expect(res.status(), `POST /auth/signup: ${await res.text()}`).toBe(200);
}

/** Fills the login form (the page must be /login). */
export async function fillLogin(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
}

/** Logs in through the form and waits for the profile. */
export async function logInViaUi(page: Page, email: string, password: string): Promise<void> {
  await gotoHydrated(page, '/login');
  await fillLogin(page, email, password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByText(email)).toBeVisible();
}

/** A section of the settings area (the navigation's link name). */
export type SettingsSection = 'Profile' | 'Security' | 'Account';

/** Opens a section of the settings area through its navigation (logged in, on a settings
 *  page): the password, two-step verification, passkeys and "Log out everywhere" are under
 *  Security, deleting the account under Account; the profile is where a login lands. */
export async function openSettings(page: Page, section: SettingsSection): Promise<void> {
  const nav = page.getByRole('navigation', { name: 'Settings' });
  await nav.getByRole('link', { name: section, exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/settings/${section.toLowerCase()}$`));
  await expect(nav.getByRole('link', { name: section, exact: true })).toHaveAttribute('aria-current', 'page');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
}

/** Makes `user` an admin account, through the server binary's subcommand as in production. */
export function createAdmin(user: User): void {
  const profile = process.env.E2E_PROFILE === 'debug' ? 'debug' : 'release';
  const dataDir = process.env.E2E_DATA_DIR!;
  execFileSync(join(__dirname, '..', '..', 'target', profile, 'authkit'), ['create-admin', '--email', user.email], {
    input: `${user.password}\n`,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      DATABASE_URL: `sqlite://${dataDir}/e2e.db`,
      JWT_SECRET: 'e2e-test-secret-not-for-production-0123456789abcdef',
      LEPTOS_OUTPUT_NAME: 'authkit',
      RUST_LOG: 'warn',
    },
  });
}

// ---------------------------------------------------------------- a second factor (TOTP)

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * Decodes base32 (RFC 4648 alphabet), case-insensitive, ignoring spaces and '=' padding —
 * the way an authenticator app reads a secret typed in by hand.
 */
export function base32Decode(text: string): Buffer {
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of text.replace(/[\s=]/g, '').toUpperCase()) {
    const digit = BASE32_ALPHABET.indexOf(ch);
    if (digit < 0) throw new Error(`not a base32 character: ${JSON.stringify(ch)} in ${JSON.stringify(text)}`);
    // Only the bits not yet taken out matter (at most 12 of them): keep value small.
    value = ((value << 5) | digit) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((value >>> bits) & 0xff);
    }
  }
  // Leftover bits (fewer than 8) are the encoding's zero padding, not data.
  return Buffer.from(bytes);
}

/**
 * The code an authenticator app shows for `secretBase32` at `atUnixSeconds` (RFC 6238:
 * HMAC-SHA-1, 30-second steps from the Unix epoch, 6 digits), computed here independently
 * of the server. The server accepts each step once per account: for a second code in the
 * same test, ask for the next step (`Date.now() / 1000 + 30`) rather than waiting.
 */
export function totpCode(secretBase32: string, atUnixSeconds: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(atUnixSeconds / 30)));
  const mac = createHmac('sha1', base32Decode(secretBase32)).update(counter).digest();
  // Dynamic truncation (RFC 4226 section 5.3).
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 1_000_000).padStart(6, '0');
}

/** Now, in Unix seconds (what `totpCode` takes). */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

// ---------------------------------------------------------------- mail (start-server.sh's SMTP server)

/** The messages to `to` that arrived so far, quoted-printable soft breaks and =3D undone. */
export function mailsTo(to: string): string[] {
  const dir = join(process.env.E2E_DATA_DIR!, 'maildir', 'new');
  let files: string[] = [];
  try {
    files = readdirSync(dir);
  } catch {
    return [];
  }
  return files
    .map((name) => readFileSync(join(dir, name), 'utf8').replace(/=\r?\n/g, '').replace(/=3D/g, '='))
    .filter((mail) => mail.includes(`To: ${to}`));
}

export async function linkInMail(to: string, path: string): Promise<string> {
  let link = '';
  await expect
    .poll(
      () => {
        const match = mailsTo(to)
          .map((mail) => mail.match(new RegExp(`http://localhost:3100${path}#token=[0-9a-f]{64}`)))
          .find((m) => m !== null);
        link = match ? match[0] : '';
        return link;
      },
      { message: `a mail to ${to} with a ${path} link`, timeout: 15_000 },
    )
    .not.toBe('');
  return link;
}

/** Opens the verification link mailed to `email` at signup, through the API: the address is
 * proven (an authenticator app or a passkey can be added only then). */
export async function verifyViaMail(request: APIRequestContext, email: string): Promise<void> {
  const link = await linkInMail(email, '/verify-email');
  const res = await request.post('/auth/verify-email', {
    data: { token: link.split('#token=')[1] },
    headers: { Accept: 'application/json' },
  });
  expect(res.status(), `POST /auth/verify-email: ${await res.text()}`).toBe(200);
}
