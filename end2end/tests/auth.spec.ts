// Sign-in and roles in the browser: a viewer (local password) sees no execute and is refused by the
// endpoint itself; an operator signs in through the OpenID Connect test provider (oidc/provider.mjs),
// executes, and finds the audit entry under their name with the offsets before and after.
import { expect, test } from '@playwright/test';
import { commitOffsets } from './kafka';
import { executeWithConfirmation, submitSignIn, USER_PASSWORD, waitForSnapshot } from './helpers';

// Every test here starts signed out.
test.use({ storageState: { cookies: [], origins: [] } });

const password = USER_PASSWORD;

test('a viewer sees no execute button and the execute endpoint refuses them', async ({ page, baseURL }, testInfo) => {
  commitOffsets('e2e-viewer', 'orders', 100);
  // A page behind sign-in sends the visitor to the sign-in page, and back afterwards.
  await page.goto('/group?cluster=local&id=e2e-viewer');
  await expect(page).toHaveURL(/\/login\?next=/);
  await submitSignIn(page, 'vera', 'wrong password here');
  await expect(page.getByTestId('login-error')).toHaveText('Wrong user name or password.');
  await page.screenshot({ path: testInfo.outputPath('login-error-1280.png'), fullPage: true });
  await submitSignIn(page, 'vera', password);
  await expect(page).toHaveURL(/\/group\?cluster=local&id=e2e-viewer$/);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await expect(page.getByTestId('user')).toContainText('vera');
  await expect(page.locator('[data-col="committed"]').first()).toHaveText('100');
  await expect(page.getByTestId('read-only')).toContainText('needs the operator role');
  await expect(page.getByTestId('execute-button')).toHaveCount(0);
  await expect(page.getByTestId('preview-button')).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath('viewer-group-1280.png'), fullPage: true });

  // The UI hides it, but the server is the check: calling the endpoint directly is refused.
  const spec = { cluster: 'local', groups: ['e2e-viewer'], scope: { kind: 'all-topics' }, strategy: { kind: 'to-earliest' } };
  const resp = await page.request.post('/api/executions/execute', {
    data: { spec, fingerprint: 'anything', at_ms: null },
    headers: { origin: new URL(baseURL!).origin },
  });
  expect(resp.status()).toBe(403);
  const body = await resp.json();
  expect(body.kind).toBe('forbidden');
  expect(body.user).toBe('vera');
  expect(body.needs).toBe('operator');
  // Nothing moved.
  await page.reload();
  await expect(page.locator('[data-col="committed"]').first()).toHaveText('100');
});

test('an operator signs in with OpenID Connect, executes, and sees the audit entry', async ({ page }, testInfo) => {
  commitOffsets('e2e-audit', 'orders', 100);
  await page.goto('/login');
  await page.getByRole('link', { name: /Sign in with/ }).click();
  // The provider's own sign-in page (another origin), then back to Rewind with a code.
  await expect(page).toHaveURL(/127\.0\.0\.1:\d+\/interaction\//);
  await page.locator('input[name="login"]').fill('olivia');
  await page.locator('input[name="password"]').fill(process.env.OIDC_USER_PASSWORD ?? 'oidc-test-password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await expect(page.getByTestId('user')).toContainText('olivia');
  await expect(page.getByTestId('user')).toHaveAttribute('title', /operator/);

  await page.goto('/group?cluster=local&id=e2e-audit');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await waitForSnapshot(page);
  await page.getByTestId('strategy').selectOption('shift-by');
  await page.getByTestId('strategy-value').fill('-5');
  await expect(page.getByTestId('plan-summary')).toContainText('records re-read');
  await executeWithConfirmation(page, 'e2e-audit');
  await expect(page.getByTestId('execution-status')).toContainText('succeeded');

  await page.getByTestId('nav-audit').click();
  await page.getByLabel('Group contains').fill('e2e-audit');
  await page.getByRole('button', { name: 'Filter' }).click();
  const row = page.getByTestId('audit-row').filter({ hasText: 'execute' }).first();
  await expect(row.locator('[data-col="actor"]')).toHaveText('olivia');
  await expect(row.locator('[data-col="action"]')).toHaveText('execute');
  await expect(row.locator('[data-col="result"]')).toHaveText('succeeded');
  await expect(row.locator('[data-col="source"]')).toHaveText('127.0.0.1');
  await expect(row.getByTestId('audit-offset').filter({ hasText: 'orders-0:' })).toHaveText('orders-0: 100 → 95');
  await page.screenshot({ path: testInfo.outputPath('audit-1280.png'), fullPage: true });

  // The export holds the same entry.
  await page.getByTestId('audit-export').click();
  const csvLink = page.getByTestId('audit-csv');
  await expect(csvLink).toContainText('entries');
  const href = decodeURIComponent((await csvLink.getAttribute('href'))!);
  expect(href).toContain(',olivia,127.0.0.1,execute,local,e2e-audit,succeeded,');

  // Signing out ends the session, and the identity provider's too (after its confirmation), so
  // the next person at this browser cannot click straight back in as olivia.
  await page.getByTestId('sign-out').click();
  await expect(page).toHaveURL(/127\.0\.0\.1:\d+\/session\/end/);
  await page.getByRole('button', { name: 'Yes, sign me out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto('/audit');
  await expect(page).toHaveURL(/\/login\?next=%2Faudit$/);
  await page.getByRole('link', { name: /Sign in with/ }).click();
  await expect(page.locator('input[name="login"]')).toBeVisible();
});

test('single sign-on names never take a local user\'s grants; oidc:<sub> grants name SSO users', async ({ page, baseURL }) => {
  const origin = new URL(baseURL!).origin;
  const me = async () => {
    const resp = await page.request.post('/api/auth/me', { headers: { origin } });
    expect(resp.status()).toBe(200);
    return resp.json();
  };
  const signInWithSso = async (login: string) => {
    await page.context().clearCookies();
    await page.goto('/login');
    await page.getByRole('link', { name: /Sign in with/ }).click();
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill(process.env.OIDC_USER_PASSWORD ?? 'oidc-test-password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await expect(page).not.toHaveURL(/\/interaction\/|\/login/);
  };
  // preferred_username "ada" is shown as the name, but matches no `user:ada` grant.
  await signInWithSso('mallory');
  let caller = await me();
  expect(caller.name).toBe('ada');
  expect(caller.method).toBe('oidc');
  expect(caller.grants).toEqual([]);
  const users = await page.request.post('/api/users/list', { data: {}, headers: { origin } });
  expect(users.status()).toBe(403);
  // An unverified email names nobody: the name falls back to the subject.
  await signInWithSso('eve');
  caller = await me();
  expect(caller.name).toBe('eve');
  expect(caller.grants).toEqual([]);
  // `oidc:sam` names this provider's subject "sam".
  await signInWithSso('sam');
  caller = await me();
  expect(caller.name).toBe('sam');
  expect(caller.grants.map((g: { role: string }) => g.role)).toEqual(['viewer']);
});

test('started sign-ins cannot crowd out a real one', async ({ page, baseURL }) => {
  test.setTimeout(180_000);
  // 10,000 unauthenticated starts filled the old server-side table and broke single sign-on for
  // 10 minutes; the pending attempt now lives in the browser's own signed cookie.
  const starts = 10_050;
  for (let sent = 0; sent < starts; sent += 200) {
    const batch = Array.from({ length: Math.min(200, starts - sent) }, () =>
      page.request.get('/auth/oidc/start', { maxRedirects: 0 }).then((r) => r.status()),
    );
    for (const status of await Promise.all(batch)) expect(status).toBe(303);
  }
  await page.context().clearCookies();
  await page.goto('/login');
  await page.getByRole('link', { name: /Sign in with/ }).click();
  await page.locator('input[name="login"]').fill('olivia');
  await page.locator('input[name="password"]').fill(process.env.OIDC_USER_PASSWORD ?? 'oidc-test-password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await expect(page.getByTestId('user')).toContainText('olivia');
  expect(new URL(page.url()).origin).toBe(new URL(baseURL!).origin);
});
