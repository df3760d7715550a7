// Finding a group and reading where it stands: search, open, partitions with committed offset and lag.
import { expect, test } from '@playwright/test';
import { ADMIN_STATE } from '../global-setup';
import { clickWhileHydrating } from './helpers';

// The leading number of a cell such as '19,380 records'.
const num = (s: string | null) => Number((s ?? '').replace(/,/g, '').match(/-?\d+/)?.[0]);

test('search for a group, open it, and read its partitions and lag', async ({ page }, testInfo) => {
  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');

  // The search applies as it is typed: no button to press, and no stray `&=` in the link.
  await page.getByLabel('Search group ids').fill('ANALYTICS');
  await expect(page).toHaveURL(/q=ANALYTICS/);
  expect(page.url()).not.toContain('&=');
  const rows = page.getByTestId('group-table').locator('tbody tr');
  await expect(rows).toHaveCount(1);
  await expect(page.getByTestId('page-info')).toContainText('of 1 matching');

  await page.getByRole('link', { name: 'analytics-backfill' }).click();
  await expect(page.getByTestId('group-id')).toHaveText('analytics-backfill');
  await expect(page.getByTestId('no-members')).toBeVisible();

  // The demo committed 5% of 2,400 records per orders partition: offset 120.
  const p0 = page.locator('tr[data-partition="orders-0"]');
  await expect(p0.locator('[data-col="committed"]')).toHaveText('120');
  await expect(p0.locator('[data-col="log-start"]')).toHaveText('0');
  const logEnd = num(await p0.locator('[data-col="log-end"]').textContent());
  expect(logEnd).toBeGreaterThanOrEqual(2400);
  await expect(p0.locator('[data-col="lag"]')).toHaveText((logEnd - 120).toLocaleString('en-US'));
  // Offset 120 of 2,400 records spread over 48 h is about 45.6 h old.
  await expect(p0.locator('[data-col="time-lag"]')).toHaveText(/^1d 2[01]h$/);
  await expect(page.locator('tr[data-topic-total="orders"]')).toContainText('6 partitions');
  // (2,400 - 120) x 6 orders partitions + (1,500 - 75) x 4 payments partitions, plus live records.
  expect(num(await page.getByTestId('total-lag').textContent())).toBeGreaterThanOrEqual(19_380);

  await page.screenshot({ path: testInfo.outputPath('group-1280.png'), fullPage: true });
});

// The group hydrates one task after its chunk arrives (pages/group.rs); a link clicked in that gap must
// be left to the browser, not half-handled by the router over a page not yet live.
test('a link clicked while the group is still hydrating opens the linked page, live', async ({ browser }) => {
  const group = '/group?cluster=local&id=payments-processor';
  await clickWhileHydrating(browser, ADMIN_STATE, group, 'split___group_route_view', 'main nav a[href^="/?cluster="]', async (page, at) => {
    await expect(page, at).toHaveURL(/\/\?cluster=local$/);
    await expect(page.locator('body'), at).toHaveAttribute('data-hydrated', 'true');
    await expect(page.getByTestId('group-table'), at).toBeVisible();
    await expect(page.getByTestId('group-id'), at).toHaveCount(0);
  });
});

test('a Stable group shows its live member and the partitions it owns', async ({ page }, testInfo) => {
  await page.goto('/group?cluster=local&id=payments-processor');
  await expect(page.getByTestId('member-table')).toContainText('payments-processor-demo');
  for (const p of [0, 1, 2, 3]) {
    await expect(page.locator(`tr[data-partition="payments-${p}"]`)).toContainText('payments-processor-demo');
  }
  await page.screenshot({ path: testInfo.outputPath('group-stable-1280.png'), fullPage: true });
});

test('a partly committed group shows the partitions it never committed on, on its topics', async ({ page }) => {
  await page.goto('/group?cluster=local&id=fraud-detector');
  await expect(page.locator('tr[data-partition="payments-0"] [data-col="committed"]')).toHaveText('750');
  await expect(page.locator('tr[data-partition="payments-1"]')).toBeVisible();
  // All 4 of payments' partitions, the 2 never committed with no offset and no lag, but their log end.
  for (const p of [2, 3]) {
    const row = page.locator(`tr[data-partition="payments-${p}"]`);
    await expect(row.locator('[data-col="committed"]')).toHaveText('-');
    await expect(row.locator('[data-col="lag"]')).toHaveText('-');
    await expect(row.locator('[data-col="log-end"]')).not.toHaveText('-');
  }
  await expect(page.locator('[data-topic-total="payments"]')).toContainText('4 partitions');
  await expect(page.locator('[data-topic-total="payments"]')).toContainText('2 committed');
  // Other topics it never committed on are not listed.
  await expect(page.locator('tr[data-partition^="orders-"]')).toHaveCount(0);
});

test('an unknown group gets a clear message', async ({ page }) => {
  await page.goto('/group?cluster=local&id=no-such-group-anywhere');
  await expect(page.getByRole('alert')).toContainText("Consumer group 'no-such-group-anywhere' does not exist");
});

test('sorting by lag puts the group furthest behind first', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  // The Lag header sorts.
  await page.getByTestId('sort-lag').click();
  await expect(page).toHaveURL(/sort=lag/);
  await expect(page.locator('th[aria-sort="descending"]')).toContainText('Lag');
  // The first visit starts the lag index; the page refreshes itself until it is ready.
  await expect(page.getByTestId('lag-index')).toContainText('Sorted by lag as of', { timeout: 30_000 });
  await expect(page.getByTestId('group-table').locator('tbody tr').first()).toHaveAttribute(
    'data-group-id',
    'analytics-backfill',
  );
});
