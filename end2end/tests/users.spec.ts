// Managing local users from the console: an admin adds a user with a team and a grant of their own,
// that user signs in and has exactly that access, a bad name gets a specific error, and removing the
// user ends their session at once. A viewer never sees the page.
import { Browser, expect, Page, test } from '@playwright/test';
import { commitOffsets } from './kafka';
import { ADMIN_NAME, signIn, USER_PASSWORD } from './helpers';

test.use({ storageState: { cookies: [], origins: [] } });

const newPassword = process.env.REWIND_E2E_NEW_USER_PASSWORD ?? 'e2e-new-user-password';

async function freshPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  return context.newPage();
}

test('an admin adds a user with their own grant, and removing them ends their session', async ({ page, browser }, testInfo) => {
  commitOffsets('e2e-grace-orders', 'orders', 100);
  commitOffsets('e2e-users-other', 'orders', 100);
  await signIn(page, ADMIN_NAME, USER_PASSWORD);
  await page.getByTestId('nav-users').click();
  await expect(page).toHaveURL(/\/users$/);
  await expect(page.getByTestId('user-row').filter({ hasText: 'vera' }).locator('[data-col="effective"]'))
    .toHaveText('viewer on everything');

  // A name the sign-in page could never match gets a specific error, and nothing is saved.
  const form = page.getByTestId('user-form');
  await form.getByTestId('user-name').fill('e2e grace');
  await form.getByTestId('user-password').fill(newPassword);
  await form.getByTestId('user-save').click();
  await expect(form.getByRole('alert')).toContainText("User name 'e2e grace' is not valid");
  await page.screenshot({ path: testInfo.outputPath('users-error-1280.png'), fullPage: true });
  // Your own row cannot be removed.
  await expect(page.getByTestId('user-row').filter({ hasText: /^ada/ }).getByTestId('user-remove')).toHaveCount(0);
  await expect(page.getByTestId('user-row').filter({ hasText: 'e2e grace' })).toHaveCount(0);

  await form.getByTestId('user-name').fill('e2e-grace');
  await form.getByTestId('user-teams').fill('kafka-viewers');
  await form.getByTestId('grant-add').click();
  const grant = form.getByTestId('grant-row');
  await grant.getByTestId('grant-role').selectOption('operator');
  await grant.getByTestId('grant-clusters').fill('local');
  await grant.getByTestId('grant-groups').fill('e2e-grace-*');
  await form.getByTestId('user-save').click();
  await expect(page.getByTestId('users-notice')).toHaveText('Saved user e2e-grace.');
  const row = page.getByTestId('user-row').filter({ hasText: 'e2e-grace' });
  await expect(row.locator('[data-col="teams"]')).toHaveText('kafka-viewers');
  await expect(row.locator('[data-col="grants"]')).toHaveText('operator on local / e2e-grace-*');
  await expect(row.locator('[data-col="effective"]')).toHaveText('viewer on everything, operator on local / e2e-grace-*');
  await page.screenshot({ path: testInfo.outputPath('users-1280.png'), fullPage: true });

  // The new user signs in and may preview their groups only.
  const grace = await freshPage(browser);
  await signIn(grace, 'e2e-grace', newPassword, '/group?cluster=local&id=e2e-grace-orders');
  await expect(grace.getByTestId('preview-button')).toBeVisible();
  await expect(grace.getByTestId('nav-users')).toHaveCount(0);
  await grace.goto('/group?cluster=local&id=e2e-users-other');
  await expect(grace.getByTestId('read-only')).toContainText('needs the operator role');

  // Removing them: a confirmation, then their open session stops working.
  await row.getByTestId('user-remove').click();
  await expect(page.getByTestId('remove-confirm')).toContainText('Remove user e2e-grace?');
  await page.getByTestId('remove-yes').click();
  await expect(page.getByTestId('users-notice')).toHaveText('Removed user e2e-grace; their sessions have ended.');
  await expect(page.getByTestId('user-row').filter({ hasText: 'e2e-grace' })).toHaveCount(0);
  await grace.goto('/group?cluster=local&id=e2e-grace-orders');
  await expect(grace).toHaveURL(/\/login\?next=/);

  // The audit names who did it, and what changed.
  await page.goto('/audit?action=user-create');
  const entry = page.getByTestId('audit-row').filter({ hasText: 'e2e-grace' }).first();
  await expect(entry.locator('[data-col="actor"]')).toHaveText(ADMIN_NAME);
  await expect(entry.getByTestId('audit-user-change'))
    .toHaveText('e2e-grace: teams kafka-viewers; grants operator on local/e2e-grace-*; password set');
});

test('a viewer has no users page', async ({ page }) => {
  await signIn(page, 'vera', USER_PASSWORD);
  await expect(page.getByTestId('nav-users')).toHaveCount(0);
  await page.goto('/users');
  await expect(page.getByTestId('users-forbidden')).toContainText('admin role on every cluster and group');
});
