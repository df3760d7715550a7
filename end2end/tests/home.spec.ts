// The home page: configured clusters and the seeded demo groups, server-rendered then hydrated.
import { expect, test } from '@playwright/test';
import { ADMIN_STATE } from '../global-setup';
import { clickWhileHydrating, waitForSnapshot } from './helpers';

test('lists the seeded demo groups with their states after hydration', async ({ page }, testInfo) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');

  await expect(page.getByTestId('cluster-list')).toContainText('local');
  const row = (id: string) => page.locator(`tr[data-group-id="${id}"]`);
  await expect(row('payments-processor')).toContainText('Stable');
  await expect(row('payments-processor').locator('td').nth(2)).toHaveText('1');
  await expect(row('billing-archiver')).toContainText('Empty');
  await expect(row('analytics-backfill')).toContainText('Empty');
  await expect(row('fraud-detector')).toContainText('Empty');
  await expect(row('inventory-sync')).toContainText('Empty');

  // Lag fills in after the list is shown (computed for the visible page only).
  const lag = row('analytics-backfill').locator('[data-col="lag"]');
  await expect(lag).toHaveText(/^[\d,]+$/);
  expect(Number((await lag.textContent())!.replace(/,/g, ''))).toBeGreaterThanOrEqual(19_380);
  await expect(row('fraud-detector').locator('[data-col="topics"]')).toHaveText('payments');
  // Every column in view at 1280 px: beside the cluster list, the table scrolled and hid Coord. and Topics.
  const [scrolled, shown] = await page
    .getByTestId('group-table')
    .evaluate((t) => [t.parentElement!.scrollWidth, t.parentElement!.clientWidth]);
  expect(scrolled).toBeLessThanOrEqual(shown);

  // Refresh goes through the server function from the browser: proof the page is live, not just HTML.
  const response = page.waitForResponse((r) => r.url().includes('/api/groups/list') && r.status() === 200);
  await page.getByRole('button', { name: 'Refresh' }).click();
  await response;
  await expect(row('payments-processor')).toContainText('Stable');

  await page.screenshot({ path: testInfo.outputPath('home-1280.png'), fullPage: true });
  expect(errors).toEqual([]);
});

test('an unreachable cluster gives a clear message, not a hang', async ({ page }, testInfo) => {
  await page.goto('/?cluster=offline');
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('Broker unreachable');
  await expect(alert).toContainText("Cannot reach Kafka cluster 'offline' at 127.0.0.1:1");
  await page.screenshot({ path: testInfo.outputPath('unreachable-1280.png'), fullPage: true });
});

test('group ids are rendered as text, never as markup', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  // scripts/test.sh creates a group whose id looks like HTML (with Kafka's own tool); it must show verbatim.
  await expect(page.locator('td', { hasText: '<img src=x onerror=alert(1)>' })).toHaveCount(1);
  await expect(page.locator('img')).toHaveCount(0);
});

test('is usable at phone width', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/');
  await expect(page.locator('tr[data-group-id="payments-processor"]')).toContainText('Stable');
  // Wide tables scroll inside their own box; the page itself never scrolls sideways.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: testInfo.outputPath('home-390.png'), fullPage: true });
});

test('the list sorts by its headers, shows how far behind at a glance, keeps Lag at 390 px, and refreshes itself without flicker', async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  const lists: number[] = [];
  page.on('request', (r) => { if (r.url().endsWith('/api/groups/list')) lists.push(Date.now()); });
  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  const row = (id: string) => page.locator(`tr[data-group-id="${id}"]`);

  // A bar scaled to the page's largest lag: the group furthest behind has the longest one.
  const lagOf = (id: string) => row(id).locator('[data-col="lag"] [data-lag]');
  await expect(lagOf('analytics-backfill')).toBeVisible();
  const widthOf = async (id: string) => (await lagOf(id).locator('span[aria-hidden] span').boundingBox())?.width ?? 0;
  expect(await widthOf('analytics-backfill')).toBeGreaterThan(await widthOf('billing-archiver'));
  // And in time: offset 120 of 2,400 records over 48 h is about 45.6 h behind.
  await expect(row('analytics-backfill').locator('[data-col="time-lag"]')).toHaveText(/^1d 2[01]h$/);

  // Headers sort: Lag, highest first, then back to Group.
  await page.getByTestId('sort-lag').click();
  await expect(page).toHaveURL(/sort=lag/);
  await expect(page.locator('th[aria-sort="descending"]')).toContainText('Lag');
  await page.getByTestId('sort-name').click();
  await expect(page).not.toHaveURL(/sort=lag/);
  await expect(page.locator('th[aria-sort="ascending"]')).toContainText('Group');

  // Filters apply as they change.
  await page.getByTestId('group-state').selectOption('Stable');
  await expect(page).toHaveURL(/state=Stable/);
  await expect(page.getByTestId('group-table').locator('tbody tr')).toHaveCount(1);
  await page.getByTestId('group-state').selectOption('');
  await expect(page).not.toHaveURL(/state=/);
  expect(page.url()).not.toContain('&=');

  // Left open, the list reads Kafka again on its own (every 30 s), keeping the table on screen.
  const before = lists.length;
  await expect.poll(() => lists.length, { timeout: 40_000 }).toBeGreaterThan(before);
  await expect(page.getByText('Reading consumer groups from the brokers...')).toHaveCount(0);
  await expect(lagOf('analytics-backfill')).toBeVisible();

  // At phone width Lag stays, Members goes first.
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(row('analytics-backfill').locator('[data-col="lag"]')).toBeVisible();
  await expect(row('analytics-backfill').locator('[data-col="members"]')).toBeHidden();
  await page.screenshot({ path: testInfo.outputPath('home-list-390.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: testInfo.outputPath('home-list-1280.png'), fullPage: true });
});

test('the home page loads only its own wasm; a group page fetches its chunk when first shown', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const wasm: string[] = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/pkg/') && path.endsWith('.wasm')) wasm.push(path);
  });

  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  // The plan builder and the other pages are chunks of their own (app/src/pages/lazy.rs).
  expect(wasm).toEqual([expect.stringMatching(/^\/pkg\/rewind\.[0-9a-f]{16}\.wasm$/)]);

  // Followed in the browser (client-side routing): the group page's chunk arrives now, and the page is live.
  const chunk = page.waitForResponse((r) => /\/pkg\/split___group_route_view_\d+\.[0-9a-f]{16}\.wasm$/.test(r.url()));
  await page.locator('tr[data-group-id="billing-archiver"] a').first().click();
  const response = await chunk;
  expect(response.status()).toBe(200);
  // Named after the build: kept by the browser for good.
  expect(response.headers()['cache-control']).toContain('immutable');
  await expect(page).toHaveURL(/\/group\?cluster=local&id=billing-archiver/);
  await waitForSnapshot(page);
  await page.getByTestId('strategy').selectOption('shift-by');
  await page.getByTestId('strategy-value').fill('-1');
  await page.getByTestId('preview-button').click();
  await expect(page.getByTestId('plan-origin')).toContainText('Read from Kafka');
  expect(errors).toEqual([]);
});

// The page below the header hydrates one browser task after the header (app/src/components/hydrate_later.rs).
// A link clicked in that gap once reached the router before the page had read its URL, and the linked page
// was hydrated over the home page's HTML: unhydrated, with hydration errors. Now the browser loads the link.
// The gap is a few milliseconds wide, so the click is tried at several delays after the wasm has arrived.
test('a link clicked while the page is still hydrating opens the linked page, live', async ({ browser }) => {
  await clickWhileHydrating(browser, ADMIN_STATE, '/', '/pkg/rewind.', 'main a[href^="/group"]', async (page, at) => {
    await expect(page, at).toHaveURL(/\/group\?cluster=local&id=/);
    await expect(page.locator('body'), at).toHaveAttribute('data-hydrated', 'true');
    await expect(page.getByTestId('group-id'), at).not.toBeEmpty();
  });
});
