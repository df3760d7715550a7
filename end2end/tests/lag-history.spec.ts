// Issue 19: lag over time. The chart of a group's sampled lag with a marker at the reset that rewound it,
// the status it then has, and the list's sparkline, status badge and status filter, against the real
// broker (test.sh samples every 2 s).
import { expect, test } from '@playwright/test';
import { commitOffsets } from './kafka';
import { USER_PASSWORD, executeWithConfirmation, openGroup, signIn, waitForSnapshot } from './helpers';

test('the chart shows the sampled lag, a marker at the reset, and the list shows the status', async ({ page }) => {
  const group = 'lag-chart-e2e';
  commitOffsets(group, 'orders', 100);
  // A few samples at these offsets before the page is opened.
  await page.waitForTimeout(5000);
  await openGroup(page, group);
  const chart = page.getByTestId('lag-chart');
  await expect(chart).toBeVisible();
  await expect(chart.locator('polyline[data-topic="orders"]').first()).toBeAttached();
  await expect(chart.getByTestId('lag-legend')).toContainText('orders');

  // A reset from the builder: the chart marks it, with who did it in the hover text.
  await waitForSnapshot(page);
  await page.getByTestId('strategy').selectOption('to-earliest');
  await expect(page.getByTestId('execute-button')).toBeEnabled();
  await executeWithConfirmation(page, group);
  await expect(page.getByTestId('execution-status')).toContainText('succeeded');
  // Samples after the reset, then the chart read again (the window buttons re-read it).
  await page.waitForTimeout(6000);
  await chart.locator('button[data-window="6h"]').click();
  await chart.locator('button[data-window="1h"]').click();
  const marker = chart.locator('a[data-marker]');
  await expect(marker).toHaveCount(1);
  // Drawn: an SVG link (an HTML <a> inside the SVG drew nothing). Its 12-unit hover area has a box; the
  // dashed line itself is zero pixels wide, which Playwright counts as hidden.
  await expect(marker.locator('rect')).toBeVisible();
  expect(await marker.evaluate((el) => el.namespaceURI)).toBe('http://www.w3.org/2000/svg');
  await expect(marker.locator('title')).toContainText(/Execution #\d+ by ada at .*: to-earliest/);
  // The same, as text beside the chart (readable at phone width, reachable by keyboard).
  await expect(chart.getByTestId('lag-markers')).toContainText(/Execution #\d+ by ada/);
  // The committed offsets went back between two samples: REWOUND, by this execution.
  const badge = chart.locator('[data-status]');
  await expect(badge).toHaveAttribute('data-status', 'REWOUND');
  const id = (await marker.getAttribute('data-marker'))!;
  await expect(badge).toHaveAttribute('title', new RegExp(`by Rewind's execution #${id}$`));

  // The list: a sparkline and the status in the group's row, and the status filter keeps it.
  await page.goto(`/?cluster=local&q=${group}`);
  const row = page.locator(`tr[data-group-id="${group}"]`);
  await expect(row.getByTestId('sparkline')).toBeVisible();
  await expect(row.locator('[data-status]')).toHaveAttribute('data-status', 'REWOUND');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.getByTestId('group-status').selectOption('REWOUND');
  await expect(page).toHaveURL(/[?&]status=REWOUND/);
  await expect(row).toBeVisible();
  await page.getByTestId('group-status').selectOption('STALLED');
  await expect(page).toHaveURL(/[?&]status=STALLED/);
  await expect(row).toHaveCount(0);
  // Sorting by growth is a header link like the others (with the filter back to any status).
  await page.getByTestId('group-status').selectOption('');
  await expect(row).toBeVisible();
  await page.getByTestId('sort-growth').click();
  await expect(page).toHaveURL(/[?&]sort=growth/);
  await expect(row).toBeVisible();

  // The CSV export of the samples.
  await openGroup(page, group);
  await page.getByTestId('lag-csv').click();
  await expect(page.getByTestId('lag-csv-file')).toContainText(`Save ${group}-lag-1h.csv`);
  const href = (await page.getByTestId('lag-csv-file').getAttribute('href'))!;
  const csv = decodeURIComponent(href.replace(/^data:text\/csv;charset=utf-8,/, ''));
  expect(csv.split('\n')[0]).toBe('timestamp_utc,timestamp_ms,topic,lag_records,committed_total,lag_time_ms,active');
  expect(csv).toContain(',orders,');
});

test('a pinned group is drawn per partition, and a viewer cannot pin', async ({ page, browser }) => {
  const group = 'lag-pin-e2e';
  commitOffsets(group, 'orders', 40);
  await openGroup(page, group);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  const chart = page.getByTestId('lag-chart');
  const pin = chart.getByTestId('lag-pin');
  await expect(pin).toHaveText('Pin');
  await pin.click();
  await expect(pin).toHaveText('Pinned');
  await expect(pin).toHaveAttribute('aria-pressed', 'true');
  // A few passes (every 2 s) sample it per partition; the window buttons read the chart again.
  await page.waitForTimeout(5000);
  await chart.locator('button[data-window="6h"]').click();
  await chart.locator('button[data-window="1h"]').click();
  await chart.getByTestId('lag-lines').selectOption('orders');
  await expect(chart.locator('polyline[data-topic^="partition "]').first()).toBeAttached();
  await expect(chart.getByTestId('lag-legend')).toContainText('partition 0');
  await expect(chart.getByTestId('lag-partitions-note')).toContainText('sampled partitions of orders');
  await chart.getByTestId('lag-lines').selectOption('');
  await expect(chart.locator('polyline[data-topic="orders"]').first()).toBeAttached();
  await pin.click();
  await expect(pin).toHaveText('Pin');

  // Pinning is an operator's decision: a viewer sees the chart without the button.
  const viewer = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const vera = await viewer.newPage();
  await signIn(vera, 'vera', USER_PASSWORD, `/group?cluster=local&id=${group}`);
  await expect(vera.getByTestId('lag-chart')).toBeVisible();
  await expect(vera.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await expect(vera.getByTestId('lag-csv')).toBeVisible();
  await expect(vera.getByTestId('lag-pin')).toHaveCount(0);
  await viewer.close();
});
