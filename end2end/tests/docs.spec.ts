import { test, expect, type Page } from '@playwright/test';
import { signUpViaApi } from './support';

// The interactive API documentation (Swagger UI at /docs, the document at /openapi.json),
// served entirely by AuthKit.

const PASSWORD = 'correct horse battery staple';

/** Requests to any other host than the server under test (data: URLs are not requests to a host). */
function recordForeignRequests(page: Page): string[] {
  const foreign: string[] = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.protocol !== 'data:' && url.host !== '127.0.0.1:3100') foreign.push(request.url());
  });
  return foreign;
}

function recordConsoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}

test('/docs lists every endpoint from this server alone, without console errors', async ({ page }) => {
  const foreign = recordForeignRequests(page);
  const errors = recordConsoleErrors(page);
  await page.goto('/docs/');
  await expect(page.getByRole('heading', { name: /AuthKit/ })).toBeVisible();
  const operations = page.locator('.opblock');
  await expect(operations.first()).toBeVisible();
  await expect(operations).toHaveCount(34);
  for (const path of ['/auth/signup', '/auth/login', '/auth/me', '/admin/users']) {
    await expect(page.locator('.opblock-summary-path', { hasText: path }).first()).toBeVisible();
  }
  await page.waitForLoadState('networkidle');
  expect(foreign, 'requests to other hosts').toEqual([]);
  expect(errors, 'console errors').toEqual([]);
});

test('"Try it out" calls the running server with the bearer token', async ({ page, request }) => {
  const email = `docs-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  await signUpViaApi(request, { email, password: PASSWORD, username: 'reader' });
  const login = await request.post('/auth/login', {
    data: { email, password: PASSWORD },
    headers: { Accept: 'application/json' },
  });
  const token = (await login.json()).access_token as string;
  const errors = recordConsoleErrors(page);

  await page.goto('/docs/');
  await page.getByRole('button', { name: 'Authorize' }).first().click();
  const dialog = page.locator('.dialog-ux');
  await dialog.getByRole('textbox', { name: 'auth-bearer-value' }).fill(token);
  await dialog.getByRole('button', { name: 'Apply credentials' }).first().click();
  await dialog.getByRole('button', { name: 'Close' }).first().click();

  // tryItOutEnabled: an opened operation is ready to execute.
  const me = page.locator('#operations-auth-me');
  await me.locator('.opblock-summary').click();
  await me.getByRole('button', { name: 'Execute' }).click();
  const live = me.locator('.live-responses-table');
  await expect(live.locator('tbody .response-col_status').first()).toContainText('200');
  await expect(live).toContainText(email);
  expect(errors, 'console errors').toEqual([]);
});
