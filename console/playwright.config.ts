import { defineConfig } from '@playwright/test';

// The console's browser tests, against a running node (LUMADB_URL, LUMADB_USER, LUMADB_PASSWORD;
// clients/.../ConsoleIT starts one with security on). The browser is the system's Chromium:
// no browser is ever downloaded.
export default defineConfig({
  testDir: 'e2e',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  workers: 1,
  retries: 0,
  forbidOnly: true,
  reporter: [['list']],
  outputDir: process.env.LUMADB_CONSOLE_TEST_OUTPUT ?? 'test-results',
  use: {
    // LUMADB_CONSOLE_BASE: a `vite preview` of the console in front of the node, while developing.
    baseURL: process.env.LUMADB_CONSOLE_BASE ?? process.env.LUMADB_URL,
    viewport: { width: 1280, height: 860 },
    launchOptions: {
      executablePath: process.env.LUMADB_CHROMIUM ?? '/usr/bin/chromium',
      // Root (as in CI) cannot use Chromium's sandbox.
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    },
    trace: 'off',
    screenshot: 'only-on-failure',
  },
});
