// to-datetime as a wall clock in Asia/Shanghai lands where Kafka's ListOffsets says for that instant.
import { expect, test } from '@playwright/test';
import { offsetsForTime } from './kafka';
import { openGroup, planTargets, waitForSnapshot } from './helpers';

test('to-datetime in Asia/Shanghai lands on the offsets ListOffsets gives for the instant', async ({ page }, testInfo) => {
  await openGroup(page, 'billing-archiver');
  await waitForSnapshot(page);
  // 24 hours ago, as a clock in Shanghai shows it (the demo's records span the last 48 hours).
  const at = Math.floor((Date.now() - 24 * 3600 * 1000) / 1000) * 1000;
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(at));
  const get = (k: string) => parts.find((p) => p.type === k)!.value;
  const wall = `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}:${get('second')}.000`;
  const utc = new Date(at).toISOString().replace('T', ' ').replace('Z', '');

  await page.getByTestId('strategy').selectOption('to-datetime');
  await page.getByTestId('zone').fill('Asia/Shanghai');
  await page.getByTestId('strategy-value').fill(wall);
  // The instant resolves while typing, in UTC and in the zone, before Kafka is asked.
  await expect(page.getByTestId('resolved-instant')).toHaveText(
    `Resolves to ${utc} UTC = ${wall.replace('T', ' ')} +08:00 in Asia/Shanghai`);
  // The native picker holds the same wall clock; Chromium drops a zero millisecond part, then zero seconds.
  await expect(page.getByTestId('datetime-picker')).toHaveValue(wall.replace(/\.000$/, '').replace(/:00$/, ''));
  // Read from Kafka on its own once typing pauses: no click needed.
  await expect(page.getByTestId('plan-instant')).toContainText(`Instant looked up: ${utc.slice(0, 19)} UTC = ${wall.replace('T', ' ')} +08:00 in Asia/Shanghai`);
  await expect(page.getByTestId('plan-row').first()).toBeVisible();

  const targets = await planTargets(page);
  const topics = new Set([...targets.keys()].map((k) => k.replace(/-\d+$/, '')));
  let compared = 0;
  for (const topic of topics) {
    for (const [p, offset] of offsetsForTime(topic, at)) {
      if (!targets.has(p)) continue;
      expect(targets.get(p), p).toBe(offset.toLocaleString('en-US'));
      compared++;
    }
  }
  expect(compared).toBe(targets.size);
  await page.screenshot({ path: testInfo.outputPath('datetime-1280.png'), fullPage: true });

  // The picker edits milliseconds too; presets fill a wall clock in the chosen zone.
  await page.getByTestId('datetime-picker').fill('2026-11-20T10:00:00.250');
  await expect(page.getByTestId('strategy-value')).toHaveValue('2026-11-20T10:00:00.250');
  await page.getByTestId('preset-today').click();
  await expect(page.getByTestId('strategy-value')).toHaveValue(/T00:00:00\.000$/);
  await page.getByTestId('zone-utc').click();
  await expect(page.getByTestId('zone')).toHaveValue('UTC');
});

test('the browser names gaps, overlaps and zones from its own Intl data as the server does', async ({ page }) => {
  await openGroup(page, 'billing-archiver');
  await waitForSnapshot(page);
  await page.getByTestId('strategy').selectOption('to-datetime');
  const value = page.getByTestId('strategy-value');
  const zone = page.getByTestId('zone');
  const error = page.getByTestId('form-error');
  // The zone picker's suggestions are the browser's own zones (none are in the server's HTML).
  expect(await page.locator('datalist#zones option').count()).toBeGreaterThan(300);

  await zone.fill('America/New_York');
  await value.fill('2026-03-08T02:30:00.000');
  await expect(error).toContainText('2026-03-08 02:30:00 does not exist in America/New_York (clocks go forward over it)');
  await value.fill('2026-11-01T01:30:00.000');
  await expect(error).toContainText(
    '2026-11-01 01:30:00 happens twice in America/New_York (clocks go back): at offset -04:00 and at offset -05:00');
  await zone.fill('Europe/London');
  await value.fill('2026-07-01T12:00:00.000');
  await expect(page.getByTestId('resolved-instant')).toHaveText(
    'Resolves to 2026-07-01 11:00:00.000 UTC = 2026-07-01 12:00:00.000 +01:00 in Europe/London');
  // The tz database is case-sensitive (the server refuses `europe/london`); so is the browser.
  await zone.fill('europe/london');
  await expect(error).toContainText("'europe/london' is not an IANA time zone");
});
