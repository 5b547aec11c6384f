import { defineConfig } from '@playwright/test';
import { chromium } from './chromium';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// One throwaway data folder per run, shared by the server (start-server.sh) and the
// tests that run the server binary's admin subcommands against the same database.
// Set here, in the runner, before the workers and the web server inherit it.
process.env.E2E_DATA_DIR ??= mkdtempSync(join(tmpdir(), 'authkit-e2e-'));

// E2E_PROFILE selects which server binary start-server.sh runs: target/release/authkit
// (default: `make test` builds release once, for every browser test and the contract run)
// or target/debug/authkit (E2E_PROFILE=debug, after `cargo leptos build --split`).
const profile = process.env.E2E_PROFILE === 'debug' ? 'debug' : 'release';

const BASE_URL = 'http://127.0.0.1:3100';

export default defineConfig({
  testDir: './tests',
  // The journey through nginx and two instances has its own server: playwright.cluster.config.ts.
  testIgnore: 'cluster.spec.ts',
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  // The machine has 2 cores; the server (argon2 hashing) needs one of them.
  workers: 1,
  reporter: 'list',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL: BASE_URL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [chromium],
  webServer: {
    command: 'bash ./start-server.sh',
    cwd: __dirname,
    url: `${BASE_URL}/`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: { E2E_PROFILE: profile, E2E_DATA_DIR: process.env.E2E_DATA_DIR! },
  },
});
