// A chained archive (file and s3 sinks) written across 3 SIGKILLs verifies whole; the campaign
// (test/crash/integrity-sigkill.campaign.ts, npm run test:crash) does 20.
import { describe, it } from 'vitest';
import { runIntegrityCrash } from './crash-run.js';

describe('integrity across crashes', () => {
  it('an archive written across 3 SIGKILLs verifies whole: no gap, redeliveries reported as allowed', async () => {
    const { file, s3 } = await runIntegrityCrash(3, 20261201, 2000);
    const dup = (r: typeof file) => r.chains.reduce((n, c) => n + c.duplicateRecords, 0);
    console.log(`integrity crash test: 3 kills; file ${file.chains.map((c) => c.entries).join('+')} objects, ${dup(file)} redelivered; s3 ${s3.chains.map((c) => c.entries).join('+')} objects, ${dup(s3)} redelivered`);
  }, 180_000);
});
