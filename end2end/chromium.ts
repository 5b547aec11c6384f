import { devices, type Project } from '@playwright/test';

// The one browser project of every Playwright config here: Debian's Chromium at
// /usr/bin/chromium. Never run `npx playwright install` (no browser downloads on these machines);
// the flags keep Chromium from calling out to a network it does not have.
export const chromium: Project = {
  name: 'chromium',
  use: {
    ...devices['Desktop Chrome'],
    launchOptions: {
      executablePath: '/usr/bin/chromium',
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
};
