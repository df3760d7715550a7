// The plan builder as an operator needs it (issue 18): what a shared link carries, what the form refuses,
// and where it says so.
import { expect, Locator, Page, test } from '@playwright/test';
import { ADMIN_STATE } from '../global-setup';
import { commitOffsets, describeOffsets } from './kafka';
import { executeWithConfirmation, openGroup, waitForSnapshot } from './helpers';

test('a link copied during an undo shares the undo, never the reset it undoes', async ({ page, browser }, testInfo) => {
  const group = 'undo-link-e2e';
  commitOffsets(group, 'orders', 100);
  await openGroup(page, group);
  await waitForSnapshot(page);
  await page.getByTestId('strategy').selectOption('shift-by');
  await page.getByTestId('strategy-value').fill('-50');
  await page.getByTestId('preview-button').click();
  await expect(page.getByTestId('plan-origin')).toContainText('Read from Kafka');
  await executeWithConfirmation(page, group);
  await expect(page.getByTestId('execution-status')).toContainText('succeeded');
  for (const offset of describeOffsets(group).values()) expect(offset).toBe(50);

  // The undo replaces the form, and the address bar and "Copy link" hold the undo alone.
  await page.getByTestId('undo-button').click();
  const banner = page.getByTestId('undo-banner');
  await expect(banner).toContainText(/Undo of execution #\d+/);
  const id = (await banner.textContent())!.match(/#(\d+)/)![1];
  await expect(page.getByTestId('plan-form')).toHaveCount(0);
  await expect(page.getByTestId('plan-summary')).toContainText('300 skipped');
  await expect(page).toHaveURL(new RegExp(`[?&]undo=${id}(&|$)`));
  await expect(page).not.toHaveURL(/strategy=/);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.getByTestId('copy-link').click();
  await expect(page.getByTestId('copy-link')).toHaveText('Copied');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toMatch(new RegExp(`^http://[^/]+/group\\?cluster=local&id=${group}&undo=${id}$`));
  await page.screenshot({ path: testInfo.outputPath('undo-1280.png'), fullPage: true });

  // Opened in another browser, the link shows the same undo, and executing it restores the offsets.
  const other = await browser.newContext({ storageState: ADMIN_STATE });
  const fresh = await other.newPage();
  await fresh.goto(copied);
  await expect(fresh.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await expect(fresh.getByTestId('undo-banner')).toContainText(`Undo of execution #${id}`);
  await expect(fresh.getByTestId('undo-description')).toContainText(`restore the backup of execution ${id}`);
  await expect(fresh.getByTestId('plan-form')).toHaveCount(0);
  await expect(fresh.getByTestId('plan-summary')).toContainText('300 skipped');
  await executeWithConfirmation(fresh, group);
  await expect(fresh.getByTestId('execution-status')).toContainText('succeeded');
  for (const offset of describeOffsets(group).values()) expect(offset).toBe(100);
  await other.close();

  // Leaving the undo brings the form back, and the link is the form's plan again.
  await page.getByTestId('leave-undo').click();
  await expect(page.getByTestId('plan-form')).toBeVisible();
  await expect(page).not.toHaveURL(/undo=/);
  await expect(page).toHaveURL(/strategy=shift-by&value=-50/);
});

test('a plan that needs Kafka is read once the input is valid and typing pauses, without a click', async ({ page }) => {
  await openGroup(page, 'billing-archiver');
  await waitForSnapshot(page);
  const previews: string[] = [];
  page.on('request', (r) => { if (r.url().endsWith('/api/plans/preview')) previews.push(r.postData() ?? ''); });

  // "Replay the last 2 hours": typed, then read from Kafka with no Preview click.
  await page.getByTestId('strategy').selectOption('by-duration');
  await page.getByTestId('strategy-value').fill('PT2H');
  await expect(page.getByTestId('plan-instant')).toContainText('Instant looked up');
  await expect(page.getByTestId('plan-origin')).toContainText('Read from Kafka');
  await expect(page.getByTestId('plan-row').first()).toBeVisible();

  // Typed key by key, every prefix of an epoch-millisecond instant is valid: one read, for the last.
  const at = String(Date.now() - 3600_000);
  await page.getByTestId('strategy').selectOption('to-datetime');
  await page.getByTestId('strategy-value').fill('');
  previews.length = 0;
  await page.getByTestId('strategy-value').pressSequentially(at, { delay: 40 });
  await expect(page.getByTestId('plan-instant')).toContainText('Instant looked up');
  await page.waitForTimeout(1000);
  expect(previews.length).toBe(1);
  expect(previews[0]).toContain(at);

  // Copying another group's offsets reads that group on its own too.
  await page.getByTestId('strategy').selectOption('copy-from-group');
  await page.getByTestId('strategy-value').fill('inventory-sync');
  await expect(page.getByTestId('plan-origin')).toContainText('Read from Kafka');
  await expect(page.getByTestId('plan-needs-kafka')).toHaveCount(0);
});

/** The field's message: the one under it, tied by aria-describedby, with the input marked invalid. */
async function expectFieldMessage(page: Page, input: Locator, text: string | RegExp): Promise<void> {
  await expect(input).toHaveAttribute('aria-invalid', 'true');
  const id = (await input.getAttribute('aria-describedby'))!;
  const message = page.locator(`#${id}`);
  await expect(message).toHaveText(text);
  await expect(page.getByTestId('form-error')).toHaveCount(1);
  // Right under its input: a few pixels, not the 140 to 450 px of a message under the Preview button.
  const a = (await input.boundingBox())!;
  const b = (await message.boundingBox())!;
  expect(b.y - (a.y + a.height)).toBeGreaterThanOrEqual(0);
  expect(b.y - (a.y + a.height)).toBeLessThan(16);
  expect(Math.abs(b.x - a.x)).toBeLessThan(16);
}

test('each message is under the field that caused it, after an edit or blur, and marks the field invalid', async ({ page }, testInfo) => {
  await openGroup(page, 'billing-archiver');
  await waitForSnapshot(page);
  const value = page.getByTestId('strategy-value');

  // Picking a strategy does not greet the operator with an error.
  await page.getByTestId('strategy').selectOption('to-datetime');
  await expect(page.getByTestId('form-error')).toHaveCount(0);
  await expect(value).not.toHaveAttribute('aria-invalid', 'true');
  // Leaving the empty field says what it needs.
  await value.focus();
  await value.blur();
  await expectFieldMessage(page, value, 'Enter a date and time, or pick a preset.');

  // A wrong date: said once, under the value, with what is wrong.
  await value.fill('2026-02-30');
  await expectFieldMessage(page, value, "Cannot parse '2026-02-30' as a date and time: 2026-02-30 does not exist: February 2026 has 28 days");
  await expect(page.getByTestId('resolved-instant')).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath('builder-error-1280.png'), fullPage: false });

  // A wrong zone is said under the zone.
  await value.fill('2026-02-28T08:00:00.000');
  await expect(page.getByTestId('form-error')).toHaveCount(0);
  await expect(value).not.toHaveAttribute('aria-invalid', 'true');
  const zone = page.getByTestId('zone');
  await zone.fill('Mars/Olympus');
  await expectFieldMessage(page, zone, /'Mars\/Olympus' is not an IANA time zone/);
  await zone.fill('UTC');

  // A wrong scope is said under the scope.
  const scope = page.getByTestId('scope');
  await scope.fill('orders:-1');
  await expectFieldMessage(page, scope, "In 'orders:-1': partition -1 is negative; partitions are numbered from 0");
  await scope.fill('');
  await expect(page.getByTestId('form-error')).toHaveCount(0);

  // A new strategy starts its fields afresh.
  await value.fill('garbage');
  await expect(page.getByTestId('form-error')).toHaveCount(1);
  await page.getByTestId('strategy').selectOption('shift-by');
  await expect(page.getByTestId('form-error')).toHaveCount(0);
  await page.setViewportSize({ width: 390, height: 844 });
  await value.fill('ten');
  await expectFieldMessage(page, value, "The shift must be a whole number, got 'ten'");
  await page.screenshot({ path: testInfo.outputPath('builder-error-390.png'), fullPage: false });
});

test('messages name the value, the field and what would be valid', async ({ page }) => {
  await openGroup(page, 'billing-archiver');
  await waitForSnapshot(page);
  const value = page.getByTestId('strategy-value');
  await page.getByTestId('strategy').selectOption('to-datetime');
  await value.fill('2026-02-30');
  await expect(page.getByTestId('form-error')).toContainText('2026-02-30 does not exist: February 2026 has 28 days');
  await value.fill('2026-11-24 08:00');
  await expect(page.getByTestId('form-error')).toContainText("put a 'T' between the date and the time, e.g. 2026-11-24T08:00");

  // CSV: a header line is called a header, an empty file empty, a negative partition negative.
  await page.getByTestId('strategy').selectOption('from-file');
  const file = page.getByTestId('csv-file');
  const choose = (name: string, text: string) => file.setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(text) });
  await choose('header.csv', 'topic,partition,offset\norders,0,5\n');
  await expect(page.getByTestId('form-error')).toHaveText("CSV line 1: 'topic,partition,offset' is a header; the file has none (Kafka's tool fails on it too): remove the line");
  await choose('empty.csv', '');
  await expect(page.getByTestId('form-error')).toHaveText("The file 'empty.csv' is empty: it needs one line per partition (topic,partition,offset or group,topic,partition,offset).");
  await choose('negative.csv', 'orders,-1,5\n');
  await expect(page.getByTestId('form-error')).toHaveText('CSV line 1: partition -1 is negative; partitions are numbered from 0');

  // An unknown topic: Kafka's answer, under the scope, and nothing asking for a click.
  await page.getByTestId('strategy').selectOption('to-earliest');
  await page.getByTestId('scope').fill('no-such-topic-e2e');
  await expect(page.getByTestId('form-error')).toHaveText("Topic 'no-such-topic-e2e' does not exist");
  await expect(page.getByTestId('scope')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('press Preview')).toHaveCount(0);
  await expect(page.getByText('Cannot plan this reset')).toHaveCount(0);

  // The API answers the same faults, typed: an empty file is `empty-csv`, not a missing plan.
  const api = async (csv: string) => {
    const r = await page.request.post('/api/plans/preview', {
      data: { spec: { cluster: 'local', groups: ['billing-archiver'], scope: { kind: 'all-topics' }, strategy: { kind: 'from-file', csv } } },
    });
    expect(r.status()).toBe(400);
    return (await r.json()).error;
  };
  expect(await api('')).toEqual({ kind: 'empty-csv' });
  expect(await api('\n\n  \n')).toEqual({ kind: 'empty-csv' });
  expect(await api('orders,-1,5')).toEqual({ kind: 'csv', line: 1, reason: 'partition -1 is negative; partitions are numbered from 0' });
});

test('the builder is one click from the top of the group page', async ({ page }, testInfo) => {
  await openGroup(page, 'analytics-backfill');
  await waitForSnapshot(page);
  await expect(page.getByTestId('reset-entry')).toBeInViewport();
  await expect(page.getByTestId('strategy')).not.toBeInViewport();
  await page.getByTestId('reset-entry').click();
  await expect(page.getByTestId('strategy')).toBeInViewport();
  await page.screenshot({ path: testInfo.outputPath('group-builder-1280.png'), fullPage: true });
});

// Issue 18, item 4, still open: run alone (or first) this measures 0.0009, but after the sign-in specs in the
// full suite it measures 0.265 (the group arrives after hydration and pushes the builder down). Kept as the
// failing check it is until the cause is found.
test('the group page does not jump while it loads (layout shift under 0.05)', async ({ page }, testInfo) => {
  // Every layout shift not caused by input, from the first paint on.
  await page.addInitScript(() => {
    const w = window as unknown as { __cls: number };
    w.__cls = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as unknown as { hadRecentInput: boolean; value: number }[]) {
        if (!e.hadRecentInput) w.__cls += e.value;
      }
    }).observe({ type: 'layout-shift', buffered: true });
  });
  await openGroup(page, 'analytics-backfill');
  await waitForSnapshot(page);
  // Lag in time arrives after the page: merged into the rows without moving them.
  await expect(page.locator('tr[data-partition="orders-0"] [data-col="time-lag"]')).not.toHaveText('-');
  await page.waitForTimeout(1500);
  const cls = await page.evaluate(() => (window as unknown as { __cls: number }).__cls);
  testInfo.annotations.push({ type: 'layout shift', description: String(cls) });
  expect(cls).toBeLessThan(0.05);
});

test('a plan from a CSV file is shared by saving it, opens in the builder, executes, and downloads', async ({ page, browser }) => {
  const group = 'share-csv-e2e';
  commitOffsets(group, 'orders', 100);
  await openGroup(page, group);
  await waitForSnapshot(page);
  await page.getByTestId('strategy').selectOption('from-file');
  const csv = 'orders,0,40\norders,1,40\n';
  await page.getByTestId('csv-file').setInputFiles({ name: 'rewind-two.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await expect(page.getByTestId('plan-summary')).toContainText('2 of 2 partitions change');
  // The link would drop the file: the builder says so and offers the save instead.
  await expect(page.getByTestId('copy-link')).toHaveCount(0);
  await expect(page.getByTestId('link-needs-save')).toContainText('save the plan to share it');
  await page.getByTestId('save-plan').click();
  const saved = page.getByTestId('saved-link');
  await expect(saved).toHaveText(/^\/plans\/[A-Za-z0-9]+$/);
  const href = (await saved.getAttribute('href'))!;

  // Another browser opens the saved plan, downloads the file, and opens it in the builder.
  const other = await browser.newContext({ storageState: ADMIN_STATE });
  const fresh = await other.newPage();
  await fresh.goto(href);
  await expect(fresh.locator('body')).toHaveAttribute('data-hydrated', 'true');
  const [download] = await Promise.all([fresh.waitForEvent('download'), fresh.getByTestId('download-plan').click()]);
  const fs = await import('node:fs');
  expect(fs.readFileSync((await download.path())!, 'utf8')).toBe(csv);
  await fresh.getByTestId('open-in-builder').click();
  await expect(fresh).toHaveURL(new RegExp(`[?&]plan=${href.split('/').pop()}`));
  await expect(fresh.getByTestId('strategy')).toHaveValue('from-file');
  await expect(fresh.getByTestId('csv-loaded')).toContainText('2 lines');
  await expect(fresh.getByTestId('plan-origin')).toContainText('Read from Kafka');
  await expect(fresh.getByTestId('plan-summary')).toContainText('2 of 2 partitions change');
  // Opened saved, the plan's link is the saved plan's.
  await expect(fresh.getByTestId('copy-link')).toBeVisible();
  await executeWithConfirmation(fresh, group);
  await expect(fresh.getByTestId('execution-status')).toContainText('succeeded: 2 of 2 partitions verified');
  const after = describeOffsets(group);
  expect(after.get('orders-0')).toBe(40);
  expect(after.get('orders-1')).toBe(40);
  expect(after.get('orders-2')).toBe(100);
  await other.close();
});

test('times show in the plan\'s zone with UTC beside them, the re-read span is right, and history says what ran', async ({ page }) => {
  const group = 'zone-e2e';
  commitOffsets(group, 'orders', 2000);
  await openGroup(page, group);
  await waitForSnapshot(page);
  // "Rewind to yesterday 09:00 Shanghai time".
  const now = new Date();
  const shanghaiDate = (d: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
  const yesterday = shanghaiDate(new Date(now.getTime() - 24 * 3600 * 1000));
  const wall = `${yesterday}T09:00:00.000`;
  await page.getByTestId('strategy').selectOption('to-datetime');
  await page.getByTestId('zone').fill('Asia/Shanghai');
  await page.getByTestId('strategy-value').fill(wall);
  const summary = page.getByTestId('plan-summary');
  await expect(page.getByTestId('plan-origin')).toContainText('Read from Kafka');
  // The group had not read to the end: the re-read ends where it had read, not "now".
  await expect(summary).toContainText(`(records from ${yesterday} 09:00:`);
  await expect(summary).toContainText('+08:00 (Asia/Shanghai) up to where the group had read)');
  await expect(summary).not.toContainText('to now');
  await expect(summary).toHaveAttribute('title', /UTC$/);
  const landed = page.locator('[data-testid="plan-row"] [data-col="landed"]').first();
  await expect(landed).toContainText('+08:00');
  await expect(landed).toHaveAttribute('title', /UTC$/);

  await page.getByTestId('execute-button').click();
  await expect(page.getByTestId('confirm-summary')).toContainText('(Asia/Shanghai)');
  await page.getByTestId('confirm-group').fill(group);
  await page.getByTestId('confirm-execute').click();
  await expect(page.getByTestId('execution-status')).toContainText('succeeded');
  // History names the strategy with its value, zone and scope.
  await expect(page.getByTestId('history-row').first()).toContainText(`to-datetime ${wall} (Asia/Shanghai) on all topics`);
});

/** WCAG 2.2 A and AA rules of axe-core over the page as it is now. */
async function expectNoAxeViolations(page: Page, what: string): Promise<void> {
  const { default: AxeBuilder } = await import('@axe-core/playwright');
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
    .analyze();
  const found = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')})`);
  expect(found, `${what}: ${found.join('\n')}`).toEqual([]);
}

test('the confirm dialog keeps focus, Enter executes, Escape gives focus back; pages meet WCAG 2.2 AA', async ({ page }) => {
  const group = 'typed-keys-e2e';
  commitOffsets(group, 'orders', 100);
  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await expect(page.locator('h1')).toHaveCount(1);
  await expectNoAxeViolations(page, 'home');

  await openGroup(page, group);
  await waitForSnapshot(page);
  await expectNoAxeViolations(page, 'group page');
  await page.getByTestId('strategy').selectOption('shift-by');
  await page.getByTestId('strategy-value').fill('ten');
  await expect(page.getByTestId('form-error')).toBeVisible();
  await expectNoAxeViolations(page, 'builder with an error');
  await page.getByTestId('strategy-value').fill('-10');
  await expect(page.getByTestId('plan-summary')).toContainText('60 records re-read');
  await expectNoAxeViolations(page, 'builder with a plan');

  // Keyboard only: open the dialog, Tab cycles inside it, never reaching the page behind.
  const execute = page.getByTestId('execute-button');
  await execute.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByTestId('confirm-dialog');
  await expect(dialog).toBeVisible();
  await expect(page.getByTestId('confirm-group')).toBeFocused();
  await expectNoAxeViolations(page, 'confirm dialog');
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => !!document.activeElement?.closest('[data-testid=confirm-dialog]'))).toBe(true);
  }
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate(() => !!document.activeElement?.closest('[data-testid=confirm-dialog]'))).toBe(true);
  }
  // Escape closes it and gives focus back to Execute.
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(execute).toBeFocused();
  // Enter in the confirmation field executes once the id is typed (and not before).
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('confirm-group')).toBeFocused();
  await page.keyboard.type(group.slice(0, -1));
  await page.keyboard.press('Enter');
  await expect(dialog).toBeVisible();
  await page.keyboard.type(group.slice(-1));
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('execution-status')).toContainText('succeeded');
  for (const offset of describeOffsets(group).values()) expect(offset).toBe(90);
});
