// The long crash campaign (`npm run test:crash`): its files end in .campaign.ts, so the default
// config (test/**/*.test.ts, run by `npm test`) never picks them up.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/crash/**/*.campaign.ts'],
    testTimeout: 900_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
