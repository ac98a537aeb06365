// Child of the integrity crash tests: two generator streams → file sink and s3 sink, both with
// integrity on, --once. Warm start (test/support/warm-child.ts): "ready", then "go" on stdin.
// argv: dataDir count s3Endpoint bucket signingKeyFile
import { readFileSync } from 'node:fs';
import { runAsWarmChild } from '../support/warm-child-main.js';

const [dataDir, count, endpoint, bucket, keyFile] = process.argv.slice(2) as [string, string, string, string, string];
const integrity = { enabled: true, signingKey: readFileSync(keyFile, 'utf8'), signEvery: { objects: 5, interval: '1h' } };
const generator = (stream: string) => ({ id: `gen-${stream}`, type: 'generator', account: 'acme', stream, count: Number(count), batchSize: 50, ratePerSecond: 2000 });
await runAsWarmChild(
  {
    dataDir,
    api: { enabled: false },
    log: { level: 'error' },
    sources: [generator('audit_log'), generator('access_log')],
    sinks: [
      {
        id: 'files',
        type: 'file',
        inputs: ['gen-audit_log', 'gen-access_log'],
        path: `${dataDir}/archive/events.ndjson`,
        buffer: { type: 'disk', maxBytes: '2MiB', segmentBytes: '256KiB' },
        batch: { maxEvents: 100, maxWait: '10ms' },
        concurrency: 2,
        integrity,
      },
      {
        id: 'bucket',
        type: 's3',
        inputs: ['gen-audit_log', 'gen-access_log'],
        bucket,
        endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        prefix: 'crash',
        batch: { maxEvents: 100, maxWait: '10ms' },
        concurrency: 3,
        integrity,
      },
    ],
  },
  { once: true },
);
