// Signs in once as the admin test user through the real sign-in page and keeps the session for every
// spec (specs about sign-in start from an empty browser instead).
import { chromium, FullConfig } from '@playwright/test';
import { ADMIN_NAME, submitSignIn, USER_PASSWORD } from './tests/helpers';

export const ADMIN_STATE = 'test-results/.auth/admin.json';

export default async function globalSetup(config: FullConfig): Promise<void> {
  const { baseURL, launchOptions } = config.projects[0].use;
  const browser = await chromium.launch(launchOptions);
  const page = await browser.newPage({ baseURL });
  await page.goto('/login');
  await submitSignIn(page, ADMIN_NAME, USER_PASSWORD);
  await page.waitForURL((url) => url.pathname === '/');
  await page.context().storageState({ path: ADMIN_STATE });
  await browser.close();
}
