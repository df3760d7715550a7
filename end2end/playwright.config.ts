// Playwright runs Debian's Chromium (never a downloaded browser) against a Rewind server that
// scripts/test.sh has started on REWIND_URL, over a real Kafka broker seeded with the demo data, with
// sign-in on (local users and the test OpenID Connect provider in oidc/provider.mjs).
import { defineConfig } from '@playwright/test';
import path from 'node:path';

// One font set on every machine (see fonts.conf), so layout checks do not depend on installed fonts.
const fontconfig = path.join(__dirname, 'fonts.conf');

export default defineConfig({
  testDir: './tests',
  globalSetup: './global-setup.ts',
  outputDir: './test-results',
  timeout: 60_000,
  expect: { timeout: 20_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: process.env.REWIND_URL ?? 'http://127.0.0.1:3000',
    // Signed in as the admin test user (global-setup.ts); sign-in specs override it.
    storageState: 'test-results/.auth/admin.json',
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      env: { ...process.env, FONTCONFIG_FILE: fontconfig } as Record<string, string>,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
