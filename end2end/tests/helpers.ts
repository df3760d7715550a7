// Shared steps of the plan-builder specs.
import { Browser, expect, Page, test } from '@playwright/test';

export async function openGroup(page: Page, group: string, query = ''): Promise<void> {
  await page.goto(`/group?cluster=local&id=${encodeURIComponent(group)}${query}`);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

/** Waits until the builder holds a snapshot read from Kafka (the first preview after opening). */
export async function waitForSnapshot(page: Page): Promise<void> {
  await expect(page.getByTestId('reset-panel')).toHaveAttribute('data-snapshot-at', /^\d+$/);
  await expect(page.getByTestId('preview-button')).toBeEnabled();
}

/** partition -> target, from the plan's rows (the list renders only rows in view: keep plans small). */
export async function planTargets(page: Page): Promise<Map<string, string>> {
  const rows = page.getByTestId('plan-row');
  const out = new Map<string, string>();
  for (let i = 0; i < (await rows.count()); i++) {
    const row = rows.nth(i);
    out.set((await row.getAttribute('data-partition'))!, (await row.getByTestId('plan-target').textContent())!);
  }
  return out;
}

export async function executeWithConfirmation(page: Page, group: string): Promise<void> {
  await page.getByTestId('execute-button').click();
  const dialog = page.getByTestId('confirm-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId('confirm-group-name')).toHaveText(group);
  await expect(dialog.getByTestId('confirm-execute')).toBeDisabled();
  await dialog.getByTestId('confirm-group').fill(group);
  await dialog.getByTestId('confirm-execute').click();
}

/** The local users test.sh creates: the admin, and the password every one of them has. */
export const ADMIN_NAME = process.env.REWIND_E2E_ADMIN ?? 'ada';
export const USER_PASSWORD = process.env.REWIND_E2E_PASSWORD ?? '';

/** Fills and submits Rewind's sign-in form on the page already open. */
export async function submitSignIn(page: Page, name: string, password: string): Promise<void> {
  await page.getByLabel('User name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** Signs in with a password and waits until `next` is open and hydrated, with the user named. */
export async function signIn(page: Page, name: string, password: string, next = '/'): Promise<void> {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await submitSignIn(page, name, password);
  await expect(page.getByTestId('user')).toContainText(name);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

/** What one attempt of clickWhileHydrating may take: two cold, throttled page loads and their checks. */
const ATTEMPT_BUDGET_MS = 20_000;

/**
 * Opens `path` at a 4x CPU slowdown and clicks the first `link` at ten delays after the wasm file whose
 * name contains `arrived` has loaded, while the page is still hydrating; `check` then looks at where the
 * click led (`at` names the delay). No delay may raise a page error or a Content-Security-Policy violation.
 */
export async function clickWhileHydrating(
  browser: Browser,
  storageState: string,
  path: string,
  arrived: string,
  link: string,
  check: (page: Page, at: string) => Promise<void>,
): Promise<void> {
  const delays = [0, 5, 10, 20, 30, 45, 60, 80, 100, 150];
  // Each attempt loads two pages cold (a new context compiles the wasm again) at a 4x CPU slowdown: on a
  // busy 2-core CI machine that took over 6 s, and ten of them overran the 60 s every test shares. The
  // whole test gets ten attempts' budget (this replaces any timeout the caller set).
  test.setTimeout(delays.length * ATTEMPT_BUDGET_MS);
  for (const delay of delays) {
    const context = await browser.newContext({ storageState });
    try {
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      // A page that arrived with another answer's policy (or none of its own) reports what it blocked.
      page.on('console', (m) => {
        if (m.type() === 'error' && m.text().includes('Content Security Policy')) errors.push(m.text());
      });
      await page.addInitScript(({ d, arrived, link }) => {
        const poll = setInterval(() => {
          const loaded = performance.getEntriesByType('resource')
            .some((e) => e.name.includes(arrived) && e.name.endsWith('.wasm'));
          const a = document.querySelector<HTMLAnchorElement>(link);
          if (loaded && a) {
            clearInterval(poll);
            setTimeout(() => a.click(), d);
          }
        }, 1);
      }, { d: delay, arrived, link });
      await page.goto(path);
      const at = `delay ${delay} ms`;
      await check(page, at);
      expect(errors, at).toEqual([]);
    } finally {
      await context.close();
    }
  }
}
