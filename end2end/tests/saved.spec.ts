// A saved plan keeps its inputs and preview at /plans/{id} and shows the drift once a consumer commits.
import { expect, test } from '@playwright/test';
import { ADMIN_STATE } from '../global-setup';
import { commitOffsets, consume } from './kafka';
import { openGroup, waitForSnapshot } from './helpers';

test('a saved plan shows drift after a consumer commits', async ({ page, browser }, testInfo) => {
  commitOffsets('e2e-saved', 'orders', 100);
  await openGroup(page, 'e2e-saved');
  await waitForSnapshot(page);
  await page.getByTestId('strategy').selectOption('shift-by');
  await page.getByTestId('strategy-value').fill('-50');
  await expect(page.getByTestId('plan-summary')).toContainText('300 records re-read');
  await page.getByTestId('save-plan').click();
  const link = page.getByTestId('saved-link');
  await expect(link).toHaveText(/^\/plans\/[A-Za-z0-9]+$/);
  const href = (await link.getAttribute('href'))!;

  await page.goto(href);
  await expect(page.getByTestId('saved-spec')).toHaveText('shift-by -50 on all topics');
  await expect(page.getByTestId('drift-none')).toBeVisible();
  await expect(page.getByTestId('plan-summary')).toContainText('300 records re-read');

  // A real consumer of the group reads and commits.
  consume('e2e-saved', 'orders', 20);

  // Opened later, in another browser: the frozen plan is unchanged and the drift is shown.
  // Another person's browser, signed in as well.
  const other = await browser.newContext({ storageState: ADMIN_STATE });
  const fresh = await other.newPage();
  await fresh.goto(new URL(href, page.url()).toString());
  await expect(fresh.getByTestId('drift-summary')).toContainText('moved since the plan was saved');
  const moved = fresh.getByTestId('drift-row');
  expect(await moved.count()).toBeGreaterThan(0);
  const first = moved.first();
  await expect(first.locator('[data-col="current-then"]')).toHaveText('100');
  expect(Number((await first.locator('[data-col="current-now"]').textContent())!.replace(/,/g, ''))).toBeGreaterThan(100);
  await expect(fresh.getByTestId('plan-summary')).toContainText('300 records re-read');
  await fresh.screenshot({ path: testInfo.outputPath('saved-plan-drift-1280.png'), fullPage: true });

  // Deleting it (after a confirmation) makes the shared link answer "not found" for everyone.
  await page.goto(href);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.getByTestId('delete-plan-button').click();
  await page.getByTestId('delete-plan-yes').click();
  await expect(page.getByTestId('plan-deleted')).toContainText('Plan deleted');
  await fresh.reload();
  await expect(fresh.getByTestId('error-panel')).toContainText('not found');
  await other.close();
});
