// The plan follows the keyboard: shift-by is replanned in the browser on the last snapshot, no request sent.
import { expect, test } from '@playwright/test';
import { commitOffsets } from './kafka';
import { openGroup, waitForSnapshot } from './helpers';

test('the shift-by preview updates while typing with no server round trip', async ({ page }, testInfo) => {
  commitOffsets('e2e-typing', 'orders', 1000);
  // The page's Content-Security-Policy must not block anything it needs (hydration, wasm, styles).
  const blocked: string[] = [];
  page.on('console', (m) => { if (/Content.Security.Policy|Refused to/i.test(m.text())) blocked.push(m.text()); });
  await openGroup(page, 'e2e-typing');
  await waitForSnapshot(page);
  await page.screenshot({ path: testInfo.outputPath('group-page-1280.png'), fullPage: true });

  const calls: string[] = [];
  page.on('request', (r) => { if (r.url().includes('/api/')) calls.push(r.url()); });
  await page.getByTestId('strategy').selectOption('shift-by');
  const value = page.getByTestId('strategy-value');
  await value.pressSequentially('-1');
  await expect(page.getByTestId('plan-summary')).toContainText('6 of 6 partitions change: 6 records re-read');
  await expect(page.getByTestId('plan-origin')).toContainText('Planned in your browser');
  await value.pressSequentially('0');
  await expect(page.getByTestId('plan-summary')).toContainText('60 records re-read');
  await value.pressSequentially('0');
  await expect(page.getByTestId('plan-summary')).toContainText('600 records re-read');
  await expect(page.getByTestId('plan-target').first()).toHaveText('900');
  await expect(page.getByTestId('cli-command')).toContainText('--shift-by -100');
  // Scope it to two partitions by range, still in the browser.
  await page.getByTestId('scope').fill('orders:0-1');
  await expect(page.getByTestId('plan-summary')).toContainText('2 of 2 partitions change: 200 records re-read');
  await page.screenshot({ path: testInfo.outputPath('plan-builder-1280.png'), fullPage: true });
  expect(calls).toEqual([]);
  expect(blocked).toEqual([]);

  // Readable at a phone's width too.
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(page.getByTestId('plan-summary')).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: testInfo.outputPath('plan-builder-390.png'), fullPage: true });
});
