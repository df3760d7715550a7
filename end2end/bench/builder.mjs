// Browser figures for the plan builder on a wide group: open, first snapshot, replanning per keystroke in
// the browser, and scrolling the virtualised list. Prints numbers; asserts nothing. Run by scripts/bench.sh --browser.
import { chromium } from '@playwright/test';

const url = process.env.REWIND_URL ?? 'http://127.0.0.1:13100';
const group = process.env.BENCH_GROUP ?? 'rb-wide';
const runs = Number(process.env.BENCH_RUNS ?? 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs) => `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, ${xs.length} runs)`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const open = [], snapshot = [], keystroke = [], scroll = [];
for (let run = 0; run < runs; run++) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const t0 = Date.now();
  await page.goto(`${url}/group?cluster=local&id=${encodeURIComponent(group)}`, { timeout: 120_000 });
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 120_000 });
  open.push(Date.now() - t0);
  // The builder has its snapshot (the first preview, read after hydration) once this attribute is set.
  await page.waitForSelector('[data-testid="reset-panel"][data-snapshot-at]', { timeout: 120_000 });
  snapshot.push(Date.now() - t0);
  await page.getByTestId('strategy').selectOption('shift-by');
  // One keystroke at a time, timed inside the page from the input event to the new summary being painted.
  for (const value of ['-1', '-10', '-100', '-1000']) {
    keystroke.push(await page.evaluate((value) => new Promise((resolve) => {
      const input = document.querySelector('[data-testid="strategy-value"]');
      const start = performance.now();
      const done = () => requestAnimationFrame(() => resolve(performance.now() - start));
      const watch = () => {
        const summary = document.querySelector('[data-testid="plan-summary"]');
        if (summary && summary.textContent.includes('re-read') && input.value === value && summary.dataset.seen !== value) {
          summary.dataset.seen = value;
          return done();
        }
        requestAnimationFrame(watch);
      };
      input.value = value;
      input.dispatchEvent(new Event('input', { bubbles: true }));
      watch();
    }), value));
  }
  // Scroll the list to its middle and wait for the rows there to be painted.
  scroll.push(await page.evaluate(() => new Promise((resolve) => {
    const list = document.querySelector('[data-testid="plan-table"]');
    const start = performance.now();
    const target = list.scrollHeight / 2;
    list.scrollTop = target;
    const watch = () => {
      const rows = [...list.querySelectorAll('[data-testid="plan-row"]')];
      const visible = rows.some((r) => Math.abs(r.offsetTop - target) < 200);
      if (visible) return requestAnimationFrame(() => resolve(performance.now() - start));
      requestAnimationFrame(watch);
    };
    watch();
  })));
  const rows = await page.locator('[data-testid="plan-row"]').count();
  if (run === 0) console.log(`rows in the DOM for ${await page.getByTestId('plan-count').textContent()}: ${rows}`);
  await page.close();
}
console.log(`builder: open until hydrated          ${fmt(open)}`);
console.log(`builder: open until the snapshot is in ${fmt(snapshot)}`);
console.log(`builder: replan per keystroke (browser) ${fmt(keystroke)}`);
console.log(`builder: scroll to the middle, painted  ${fmt(scroll)}`);
await browser.close();
