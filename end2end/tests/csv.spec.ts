// A plan downloaded as the tool's CSV and uploaded again as a from-file plan is the same plan.
import { expect, test } from '@playwright/test';
import { commitOffsets } from './kafka';
import { openGroup, planTargets, waitForSnapshot } from './helpers';

test('CSV export then import gives the same plan', async ({ page }) => {
  commitOffsets('e2e-csv', 'orders', 500);
  await openGroup(page, 'e2e-csv');
  await waitForSnapshot(page);
  await page.getByTestId('strategy').selectOption('shift-by');
  await page.getByTestId('strategy-value').fill('-123');
  await page.getByTestId('scope').fill('orders:0-3');
  await page.getByTestId('preview-button').click();
  await expect(page.getByTestId('plan-origin')).toContainText('Read from Kafka');
  const summary = await page.getByTestId('plan-summary').textContent();
  const targets = await planTargets(page);
  expect(targets.size).toBe(4);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-csv').click()]);
  const file = await download.path();

  await page.getByTestId('strategy').selectOption('from-file');
  await page.getByTestId('scope').fill('');
  await page.getByTestId('csv-file').setInputFiles(file);
  await expect(page.getByTestId('csv-loaded')).toContainText('4 lines');
  await page.getByTestId('preview-button').click();
  await expect(page.getByTestId('plan-origin')).toContainText('Read from Kafka');
  await expect(page.getByTestId('plan-summary')).toHaveText(summary!);
  expect(await planTargets(page)).toEqual(targets);
  await expect(page.getByTestId('cli-command')).toContainText('--from-file');

  // A broken line is named before anything is sent.
  await page.getByText('Or paste or edit the CSV').click();
  await page.getByTestId('csv-text').fill('orders,0,10\norders,one,10\n');
  await expect(page.getByTestId('form-error')).toContainText('CSV line 2');
});
