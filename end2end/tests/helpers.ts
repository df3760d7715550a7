// Shared steps of the plan-builder specs.
import { expect, Page } from '@playwright/test';

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
