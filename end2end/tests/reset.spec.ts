// Resetting a group from its page: preview a shift-by, execute after typing the group id, verify, undo.
import { expect, test } from '@playwright/test';

const committed = (page, partition: string) =>
  page.locator(`tr[data-partition="${partition}"] [data-col="committed"]`);

test('preview, execute and undo a shift-by on an inactive group', async ({ page }, testInfo) => {
  await page.goto('/group?cluster=local&id=inventory-sync');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  const partitions = ['inventory-events-0', 'inventory-events-1', 'inventory-events-2'];
  const before: number[] = [];
  for (const p of partitions) {
    before.push(Number((await committed(page, p).textContent())?.replace(/,/g, '')));
  }

  await page.getByTestId('strategy').selectOption('shift-by');
  await page.getByTestId('strategy-value').fill('-100');
  await page.getByTestId('preview-button').click();
  await expect(page.getByTestId('plan-row')).toHaveCount(3);
  await expect(page.getByTestId('plan-summary')).toContainText('3 of 3 partitions change: 300 records re-read');
  await expect(page.getByTestId('cli-command')).toContainText('--group inventory-sync --reset-offsets --all-topics --shift-by -100 --dry-run');
  // The preview names the time of the record each partition lands on.
  await expect(page.getByTestId('plan-table')).toContainText('UTC');
  await page.screenshot({ path: testInfo.outputPath('reset-preview-1280.png'), fullPage: true });

  // Execute stays disabled until the group id is typed.
  await expect(page.getByTestId('execute-button')).toBeDisabled();
  await page.getByTestId('confirm-group').fill('inventory-sync');
  await page.getByTestId('execute-button').click();
  await expect(page.getByTestId('execution-status')).toContainText('succeeded: 3 of 3 partitions verified');
  // Executed once: the same preview cannot be executed again.
  await expect(page.getByTestId('execute-button')).toBeDisabled();
  for (const [i, p] of partitions.entries()) {
    await expect(committed(page, p)).toHaveText((before[i] - 100).toLocaleString('en-US'));
  }
  await expect(page.getByTestId('history-row')).not.toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath('reset-executed-1280.png'), fullPage: true });

  // Undo is previewed like any plan, then executed with the same confirmation.
  await page.getByTestId('undo-button').click();
  await expect(page.getByTestId('plan-summary')).toContainText('300 skipped');
  await page.getByTestId('confirm-group').fill('inventory-sync');
  await page.getByTestId('execute-button').click();
  await expect(page.getByTestId('execution-status')).toContainText('succeeded');
  for (const [i, p] of partitions.entries()) {
    await expect(committed(page, p)).toHaveText(before[i].toLocaleString('en-US'));
  }
  await expect(page.getByTestId('history-row').first()).toContainText('undo of #');
});

test('an active group is previewed but cannot be executed, naming its member', async ({ page }) => {
  await page.goto('/group?cluster=local&id=payments-processor');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.getByTestId('strategy').selectOption('to-earliest');
  await page.getByTestId('preview-button').click();
  await expect(page.getByTestId('plan-refusal')).toContainText('current state is Stable');
  await expect(page.getByTestId('plan-refusal')).toContainText('payments-processor-demo');
  await page.getByTestId('confirm-group').fill('payments-processor');
  await expect(page.getByTestId('execute-button')).toBeDisabled();
});

test('bad input gets a specific message', async ({ page }) => {
  await page.goto('/group?cluster=local&id=inventory-sync');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.getByTestId('strategy').selectOption('shift-by');
  await page.getByTestId('strategy-value').fill('ten');
  await page.getByTestId('preview-button').click();
  await expect(page.getByTestId('form-error')).toHaveText("The shift must be a whole number, got 'ten'");
  await page.getByTestId('strategy').selectOption('by-duration');
  await page.getByTestId('strategy-value').fill('P1W');
  await page.getByTestId('preview-button').click();
  await expect(page.getByRole('alert')).toContainText("Cannot parse 'P1W' as a duration");
});

test('to-datetime takes a wall-clock time in an explicit zone and shows the instant in both', async ({ page }, testInfo) => {
  await page.goto('/group?cluster=local&id=billing-archiver');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  // 24 hours ago, as a clock in Shanghai shows it (the demo's records span the last 48 hours).
  const at = new Date(Math.floor((Date.now() - 24 * 3600 * 1000) / 1000) * 1000);
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).formatToParts(at);
  const get = (k: string) => parts.find((p) => p.type === k)!.value;
  const wall = `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}:${get('second')}.000`;
  const utc = at.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

  await page.getByTestId('strategy').selectOption('to-datetime');
  await page.getByTestId('strategy-value').fill(wall);
  await page.getByTestId('zone').fill('Asia/Shanghai');
  await page.getByTestId('preview-button').click();
  await expect(page.getByTestId('plan')).toContainText(`Instant looked up: ${utc} = ${wall.replace('T', ' ')} +08:00 in Asia/Shanghai`);
  await expect(page.getByTestId('plan-row').first()).toBeVisible();
  // Each target is the first record at or after the instant: its time is not before it.
  const landed = await page.locator('[data-testid="plan-row"] td:nth-child(8)').allTextContents();
  for (const t of landed.filter((t) => t !== '-')) {
    expect(t >= utc).toBeTruthy();
  }
  await page.screenshot({ path: testInfo.outputPath('reset-datetime-1280.png'), fullPage: true });
});

test('a plan link opened in a fresh browser reproduces the plan', async ({ page, browser }) => {
  await page.goto('/group?cluster=local&id=fraud-detector');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.getByTestId('strategy').selectOption('to-offset');
  await page.getByTestId('strategy-value').fill('100');
  await page.getByTestId('preview-button').click();
  const summary = await page.getByTestId('plan-summary').textContent();
  await expect(page).toHaveURL(/strategy=to-offset&value=100/);
  const link = await page.getByTestId('plan-link').getAttribute('href');

  // Another browser: no shared storage, only the link.
  const other = await browser.newContext();
  const fresh = await other.newPage();
  await fresh.goto(new URL(link!, page.url()).toString());
  await expect(fresh.getByTestId('strategy')).toHaveValue('to-offset');
  await expect(fresh.getByTestId('strategy-value')).toHaveValue('100');
  await expect(fresh.getByTestId('plan-summary')).toHaveText(summary!);
  await expect(fresh.getByTestId('plan-target').first()).toHaveText('100');
  await other.close();
});
