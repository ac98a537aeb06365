// Child process for the crash test: generator -> disk buffer -> file sink, --once.
// argv: dataDir count
import { startPipeline } from '../../src/app/start.js';

const [dataDir, count] = process.argv.slice(2);
const p = await startPipeline(
  {
    dataDir,
    api: { enabled: false },
    log: { level: 'error' },
    sources: [{ id: 'gen', type: 'generator', count: Number(count), batchSize: 50, ratePerSecond: 5000 }],
    sinks: [
      {
        id: 'out',
        type: 'file',
        inputs: ['gen'],
        path: `${dataDir}/out.ndjson`,
        buffer: { type: 'disk', maxBytes: '2MiB', segmentBytes: '256KiB' },
        batch: { maxEvents: 100, maxWait: '5ms' },
      },
    ],
  },
  { once: true },
);
process.stdout.write('started\n');
const r = await p.done;
process.stdout.write(r.ok ? 'done\n' : `failed ${JSON.stringify(r.failures)}\n`);
process.exit(r.ok ? 0 : 1);
