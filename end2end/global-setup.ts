// Signs in once as the admin test user through the real sign-in page and keeps the session for every
// spec (specs about sign-in start from an empty browser instead).
import { chromium, FullConfig } from '@playwright/test';

export const ADMIN_STATE = 'test-results/.auth/admin.json';

export default async function globalSetup(config: FullConfig): Promise<void> {
  const { baseURL, launchOptions } = config.projects[0].use;
  const browser = await chromium.launch(launchOptions);
  const page = await browser.newPage({ baseURL });
  await page.goto('/login');
  await page.getByLabel('User name').fill(process.env.REWIND_E2E_ADMIN ?? 'ada');
  await page.getByLabel('Password').fill(process.env.REWIND_E2E_PASSWORD ?? '');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/');
  await page.context().storageState({ path: ADMIN_STATE });
  await browser.close();
}
