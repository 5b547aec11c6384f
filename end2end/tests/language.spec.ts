import { test, expect } from '@playwright/test';
import { gotoHydrated, recordPageErrors, signUpViaApi, type User } from './support';

// The UI in English and Korean: chosen from Accept-Language (the browser's locale), switched
// from the top bar without a reload, remembered in a cookie; the server's messages are shown
// translated (by the error's `code`) while the API keeps its English `detail`.

function newUser(): User {
  const suffix = `${Date.now()}-${Math.random().toString(36).slice(2, 10)}`;
  return { email: `lang-${suffix}@example.com`, username: `lang ${suffix}`, password: 'correct horse battery staple' };
}

test.describe('a Korean browser', () => {
  test.use({ locale: 'ko-KR' });
  test.beforeEach(async ({ page }) => recordPageErrors(page));

  test('gets every page in Korean', async ({ page }) => {
    for (const [path, heading] of [
      ['/signup', '계정 만들기'],
      ['/login', '로그인'],
      ['/forgot-password', '비밀번호를 잊으셨나요?'],
      ['/reset-password', '새 비밀번호 정하기'],
      ['/verify-email', '이메일 주소 인증'],
      ['/confirm-email', '새 이메일 주소 확인'],
      ['/no-such-page', '페이지를 찾을 수 없습니다'],
    ]) {
      await gotoHydrated(page, path);
      await expect(page.locator('html')).toHaveAttribute('lang', 'ko');
      await expect(page.getByRole('heading', { level: 1 }), path).toHaveText(heading);
    }
    await gotoHydrated(page, '/login');
    await expect(page.getByLabel('이메일', { exact: true })).toBeVisible();
    await expect(page.getByRole('button', { name: '로그인', exact: true })).toBeVisible();
  });

  test('sees the server refusal in Korean while the API answers in English', async ({ page, request }) => {
    const user = newUser();
    await signUpViaApi(request, user);
    await gotoHydrated(page, '/login');
    await page.getByLabel('이메일', { exact: true }).fill(user.email);
    await page.getByLabel('비밀번호', { exact: true }).fill('incorrect horse battery staple');
    const [answer] = await Promise.all([
      page.waitForResponse('**/auth/login'),
      page.getByRole('button', { name: '로그인', exact: true }).click(),
    ]);
    expect(await answer.json()).toEqual({ detail: 'Incorrect email or password', code: 'invalid_credentials' });
    await expect(page.getByRole('alert').filter({ hasText: '올바르지' })).toHaveText(
      '이메일 또는 비밀번호가 올바르지 않습니다',
    );
  });
});

test('switching the language keeps the page, and the choice is remembered', async ({ page }) => {
  recordPageErrors(page);
  await gotoHydrated(page, '/login');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Log in');
  await page.getByLabel('Email', { exact: true }).fill('typed@example.com');
  // A marker in the page: a reload would lose it.
  await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
  await page.getByRole('button', { name: '한국어' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('로그인');
  await expect(page.locator('html')).toHaveAttribute('lang', 'ko');
  expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
  await expect(page.getByRole('navigation', { name: '계정' }).getByRole('link', { name: '회원가입' })).toBeVisible();
  // The next visit starts in Korean, although the browser asks for English.
  await gotoHydrated(page, '/signup');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('계정 만들기');
  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Create your account');
  await page.reload();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Create your account');
});
