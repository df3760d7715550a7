// Page loads as a user on a slow phone network sees them: the home page and a group page in Chromium with
// Lighthouse's "slow 4G" network (150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up) and a 4x CPU slowdown.
// For each page, a cold load (empty cache) and a warm one (the same browser again): bytes on the wire, time
// until the page is interactive (hydrated), and the longest main-thread task. Prints numbers; asserts
// nothing. Run by scripts/bench.sh --browser.
import { chromium } from '@playwright/test';

const url = process.env.REWIND_URL ?? 'http://127.0.0.1:13100';
const group = process.env.BENCH_PAGE_GROUP ?? 'rewind-bench-g-00000';
const runs = Number(process.env.BENCH_RUNS ?? 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const range = (xs) => `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)} to ${Math.max(...xs).toFixed(0)})`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

// One load in `context` (fresh for cold, reused for warm): wire bytes from the DevTools protocol, the time
// from navigation to `data-hydrated`, and the longest task the page's own PerformanceObserver saw.
async function load(context, path) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 150,
    downloadThroughput: (1.6 * 1024 * 1024) / 8,
    uploadThroughput: (750 * 1024) / 8,
  });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  let bytes = 0;
  cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
  await page.addInitScript(() => {
    window.__longest = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longest = Math.max(window.__longest, e.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
  const t0 = Date.now();
  await page.goto(`${url}${path}`, { timeout: 180_000 });
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 180_000 });
  const interactive = Date.now() - t0;
  // Requests still finishing after hydration (the group page's lag chart, lag in time) count as well.
  await page.waitForLoadState('networkidle', { timeout: 180_000 }).catch(() => {});
  const longest = await page.evaluate(() => window.__longest);
  await page.close();
  return { bytes, interactive, longest };
}

const pages = [
  ['home page', '/'],
  ['group page', `/group?cluster=local&id=${encodeURIComponent(group)}`],
];
console.log('');
console.log('page loads, slow 4G (150 ms RTT, 1.6 Mbit/s) and 4x CPU slowdown; median (min to max) over ' +
  `${runs} runs`);
console.log(`${'page'.padEnd(24)} ${'wire KB'.padStart(9)} ${'interactive ms'.padStart(24)} ${'longest task ms'.padStart(22)}`);
for (const [name, path] of pages) {
  for (const kind of ['cold', 'warm']) {
    const bytes = [], interactive = [], longest = [];
    for (let run = 0; run < runs; run++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      if (kind === 'warm') await load(context, path);
      const r = await load(context, path);
      await context.close();
      bytes.push(r.bytes / 1024);
      interactive.push(r.interactive);
      longest.push(r.longest);
    }
    console.log(`${`${name}, ${kind}`.padEnd(24)} ${median(bytes).toFixed(0).padStart(9)} ` +
      `${range(interactive).padStart(24)} ${range(longest).padStart(22)}`);
  }
}
await browser.close();
