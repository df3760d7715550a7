// Execute, verify and undo from the group page; an active group is refused naming its member; bad input.
import { expect, test } from '@playwright/test';
import { ADMIN_STATE } from '../global-setup';
import { describeOffsets } from './kafka';
import { ADMIN_NAME, executeWithConfirmation, openGroup, waitForSnapshot } from './helpers';

const committed = (page, partition: string) =>
  page.locator(`tr[data-partition="${partition}"] [data-col="committed"]`);

test('execute a shift-by after confirming, verify it, and undo to the exact previous offsets', async ({ page }, testInfo) => {
  await openGroup(page, 'inventory-sync');
  await waitForSnapshot(page);
  const before = describeOffsets('inventory-sync');
  expect(before.size).toBe(3);

  await page.getByTestId('strategy').selectOption('shift-by');
  await page.getByTestId('strategy-value').fill('-100');
  await page.getByTestId('preview-button').click();
  await expect(page.getByTestId('plan-origin')).toContainText('Read from Kafka');
  await expect(page.getByTestId('plan-row')).toHaveCount(3);
  await expect(page.getByTestId('plan-summary')).toContainText('3 of 3 partitions change: 300 records re-read');
  await expect(page.getByTestId('cli-command')).toContainText('--group inventory-sync --reset-offsets --all-topics --shift-by -100 --dry-run');
  // Previewed from Kafka, each row names the time of the record the group lands on.
  await expect(page.locator('[data-testid="plan-row"] [data-col="landed"]').first()).toContainText('UTC');
  // On demand, the record each partition lands on: its offset is the target, with key and value previews.
  await page.getByTestId('show-landing').click();
  await expect(page.getByTestId('landing-row')).toHaveCount(3);
  for (const [p, offset] of before) {
    const row = page.locator(`[data-testid="landing-row"][data-partition="${p}"]`);
    await expect(row.locator('td').nth(1)).toHaveText((offset - 100).toLocaleString('en-US'));
    await expect(row.locator('td').nth(4)).not.toHaveText('');
  }
  await page.screenshot({ path: testInfo.outputPath('preview-1280.png'), fullPage: true });

  // The dialog names the group and the totals, and executes only once the id is typed.
  await page.getByTestId('execute-button').click();
  await expect(page.getByTestId('confirm-summary')).toContainText('300 records re-read');
  await page.screenshot({ path: testInfo.outputPath('confirm-dialog-1280.png') });
  await page.getByTestId('confirm-cancel').click();
  await expect(page.getByTestId('confirm-dialog')).toHaveCount(0);
  await executeWithConfirmation(page, 'inventory-sync');
  await expect(page.getByTestId('execution-status')).toContainText('succeeded: 3 of 3 partitions verified');
  await expect(page.getByTestId('plan-executed')).toBeVisible();
  for (const [p, offset] of before) {
    await expect(committed(page, p)).toHaveText((offset - 100).toLocaleString('en-US'));
  }
  // Kafka's own tool agrees.
  const after = describeOffsets('inventory-sync');
  for (const [p, offset] of before) expect(after.get(p)).toBe(offset - 100);

  // History shows who, what, and the before / after of each partition.
  const row = page.getByTestId('history-row').first();
  await expect(row).toContainText(ADMIN_NAME);
  await expect(row).toContainText('shift-by');
  await row.getByTestId('history-details').click();
  await expect(page.getByTestId('execution-details')).toContainText('shift-by -100 on all topics');
  await expect(page.getByTestId('execution-partition')).toHaveCount(3);
  await page.screenshot({ path: testInfo.outputPath('executed-1280.png'), fullPage: true });

  // Undo is previewed like any plan, then executed with the same confirmation.
  await page.getByTestId('undo-button').click();
  await expect(page.getByTestId('undo-banner')).toBeVisible();
  await expect(page.getByTestId('plan-summary')).toContainText('300 skipped');
  await executeWithConfirmation(page, 'inventory-sync');
  await expect(page.getByTestId('execution-status')).toContainText('succeeded');
  for (const [p, offset] of before) {
    await expect(committed(page, p)).toHaveText(offset.toLocaleString('en-US'));
  }
  expect(describeOffsets('inventory-sync')).toEqual(before);
  await expect(page.getByTestId('history-row').first()).toContainText('undo of #');

  // The cluster's history lists both, each leading to its undo on the group's page.
  await page.getByTestId('nav-history').click();
  const cluster = page.getByTestId('history-row').filter({ hasText: 'inventory-sync' });
  await expect(cluster.first()).toContainText('undo of #');
  await expect(cluster.nth(1)).toContainText('shift-by');
  await expect(cluster.first().getByTestId('history-undo')).toHaveAttribute('href', /\/group\?cluster=local&id=inventory-sync&undo=\d+/);
  await page.screenshot({ path: testInfo.outputPath('history-1280.png'), fullPage: true });
});

test('an active group is previewed but cannot be executed, naming its member', async ({ page }) => {
  await openGroup(page, 'payments-processor');
  await waitForSnapshot(page);
  await page.getByTestId('strategy').selectOption('to-earliest');
  await expect(page.getByTestId('plan-refusal')).toContainText('current state is Stable');
  await expect(page.getByTestId('plan-refusal')).toContainText('payments-processor-demo');
  await expect(page.getByTestId('execute-button')).toBeDisabled();
  // The server refuses on its own, whatever the page does.
  const response = await page.request.post('/api/executions/execute', {
    data: { spec: { cluster: 'local', groups: ['payments-processor'], scope: { kind: 'all-topics' }, strategy: { kind: 'to-earliest' } }, fingerprint: 'x', at_ms: null },
  });
  expect(response.ok()).toBeFalsy();
  const body = await response.text();
  expect(body).toContain('"kind":"group_active"');
  expect(body).toContain('payments-processor-demo');
});

test('bad input gets a specific message while typing', async ({ page }) => {
  await openGroup(page, 'inventory-sync');
  await page.getByTestId('strategy').selectOption('shift-by');
  await page.getByTestId('strategy-value').fill('ten');
  await expect(page.getByTestId('form-error')).toHaveText("The shift must be a whole number, got 'ten'");
  await page.getByTestId('strategy').selectOption('by-duration');
  await page.getByTestId('strategy-value').fill('P1W');
  await expect(page.getByTestId('form-error')).toContainText("Cannot parse 'P1W' as a duration");
  // A negative duration would skip every record: refused, with what to type instead.
  for (const typed of ['-2h', '-PT2H']) {
    await page.getByTestId('strategy-value').fill(typed);
    await expect(page.getByTestId('form-error')).toContainText('A negative duration points into the future');
    // Said once, under the field, not again in the duration's hint.
    await expect(page.getByTestId('resolved-instant')).toHaveCount(0);
    await expect(page.getByTestId('execute-button')).toHaveCount(0);
  }
  await page.getByTestId('strategy').selectOption('to-offset');
  await page.getByTestId('strategy-value').fill('5');
  await page.getByTestId('scope').fill('inventory-events:3-1');
  await expect(page.getByTestId('form-error')).toHaveText("In 'inventory-events:3-1': the range 3-1 runs backwards");
});

test('a plan link opened in a fresh browser reproduces the plan', async ({ page, browser }) => {
  await openGroup(page, 'fraud-detector');
  await waitForSnapshot(page);
  await page.getByTestId('strategy').selectOption('to-offset');
  await page.getByTestId('strategy-value').fill('100');
  await page.getByTestId('preview-button').click();
  await expect(page.getByTestId('plan-origin')).toContainText('Read from Kafka');
  const summary = await page.getByTestId('plan-summary').textContent();
  await expect(page).toHaveURL(/strategy=to-offset&value=100/);
  const link = await page.getByTestId('plan-link').getAttribute('href');

  // Another browser: no shared storage, only the link.
  // Another person's browser, signed in as well.
  const other = await browser.newContext({ storageState: ADMIN_STATE });
  const fresh = await other.newPage();
  await fresh.goto(new URL(link!, page.url()).toString());
  await expect(fresh.getByTestId('strategy')).toHaveValue('to-offset');
  await expect(fresh.getByTestId('strategy-value')).toHaveValue('100');
  await expect(fresh.getByTestId('plan-summary')).toHaveText(summary!);
  await expect(fresh.getByTestId('plan-target').first()).toHaveText('100');
  await other.close();
});
