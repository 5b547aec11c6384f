import { defineConfig } from '@playwright/test';
import { chromium } from './chromium';

// The browser journey through the cluster of scripts/cluster.sh: nginx on 127.0.0.1:3200
// balancing two authkit instances (3201, 3202) that share a throwaway PostgreSQL.
//   cd end2end && npx playwright test --config playwright.cluster.config.ts
// (`make e2e-cluster`). E2E_PROFILE selects target/<profile>/authkit, as in playwright.config.ts.
const profile = process.env.E2E_PROFILE === 'debug' ? 'debug' : 'release';

const PORT = 3200;
const BASE_URL = `http://127.0.0.1:${PORT}`;

export default defineConfig({
  testDir: './tests',
  testMatch: 'cluster.spec.ts',
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  // The machine has 2 cores; two servers (argon2 hashing) and PostgreSQL share them.
  workers: 1,
  reporter: 'list',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL: BASE_URL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [chromium],
  webServer: {
    // cluster.sh changes to the repository root itself; AUTHKIT_BIN is relative to it.
    command: 'bash ../scripts/cluster.sh',
    cwd: __dirname,
    url: `${BASE_URL}/`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe',
    stderr: 'pipe',
    // Without this Playwright SIGKILLs the process group: cluster.sh could not stop PostgreSQL
    // (a session of its own) nor nginx, nor remove its folder. SIGTERM runs its cleanup; the
    // instances may take up to SHUTDOWN_GRACE_SECS (10 s) to finish.
    gracefulShutdown: { signal: 'SIGTERM', timeout: 30_000 },
    // Added to the runner's own environment (JWT_SECRET, if set, reaches the instances).
    env: {
      CLUSTER_PORT: String(PORT),
      AUTHKIT_BIN: `target/${profile}/authkit`,
      // Every request comes from one client address, and the journey refreshes its one
      // session about ten times in a minute: keep the throttles out of its way (the API
      // tests cover them).
      AUTH_RATE_PER_IP_PER_MINUTE: '100000',
      PASSWORD_CHECKS_PER_ACCOUNT_PER_MINUTE: '100000',
      REFRESH_RATE_PER_IP_PER_MINUTE: '100000',
      REFRESH_RATE_PER_SESSION_PER_MINUTE: '1000',
    },
  },
});
