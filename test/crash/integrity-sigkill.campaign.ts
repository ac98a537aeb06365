// npm run test:crash: a chained archive (file and s3 sinks, integrity on) written across 20
// SIGKILLs at seeded moments verifies whole (ZSF_CRASH_KILLS / ZSF_CRASH_SEED change them).
import { describe, it } from 'vitest';
import { runIntegrityCrash } from '../integrity/crash-run.js';

const KILLS = Number(process.env.ZSF_CRASH_KILLS ?? 20);
const SEED = Number(process.env.ZSF_CRASH_SEED ?? 20261201);

describe('integrity crash campaign', () => {
  it(`an archive written across ${KILLS} SIGKILLs verifies whole (seed ${SEED})`, async () => {
    const { file, s3 } = await runIntegrityCrash(KILLS, SEED, 6000);
    const dup = (r: typeof file) => r.chains.reduce((n, c) => n + c.duplicateRecords, 0);
    console.log(`integrity campaign: ${KILLS} kills, seed ${SEED}; file ${file.chains.map((c) => c.entries).join('+')} objects, ${dup(file)} redelivered records; s3 ${s3.chains.map((c) => c.entries).join('+')} objects, ${dup(s3)} redelivered records; both whole`);
  }, 600_000);
});
