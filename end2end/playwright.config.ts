import path from 'node:path';
import { defineConfig } from '@playwright/test';

/** Where the Gatehouse server under test listens. Never hard-code it in tests. */
const baseURL = (process.env.E2E_BASE_URL ?? 'http://127.0.0.1:3917').replace(/\/+$/, '');

/** Flags that work for Debian's Chromium on this machine kind (see TOOLCHAIN.md). */
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** process.env without its undefined entries, as webServer.env wants. */
function definedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined) env[key] = value;
  }
  return env;
}

export default defineConfig({
  testDir: './tests',
  // The journeys share one server and one database; 00-setup.spec.ts must run
  // first, against an empty database.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: 'list',
  timeout: 30_000,
  use: {
    baseURL,
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: chromiumArgs,
    },
  },
  // Normally the test script starts the server (with a fresh data folder) and
  // sets E2E_BASE_URL, E2E_DATA_DIR and E2E_BIN. E2E_START_SERVER=1 lets
  // Playwright start it instead, with the GATEHOUSE_* / LEPTOS_* variables
  // taken from this process's environment.
  webServer:
    process.env.E2E_START_SERVER === '1'
      ? {
          command: 'target/debug/gatehouse serve',
          cwd: path.resolve(__dirname, '..'),
          url: `${baseURL}/healthz`,
          reuseExistingServer: false,
          timeout: 120_000,
          env: definedEnv(),
        }
      : undefined,
});
