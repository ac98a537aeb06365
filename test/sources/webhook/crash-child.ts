// Child process of the webhook crash test: zendesk_webhook → disk buffer → file sink, with
// `zsf run`'s config loader. Loads first ("ready"), starts on "go" (stdin), prints
// "started <url>" once the listener is up. argv: dataDir secretFile
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { startPipeline } from '../../../src/app/start.js';

const [dataDir, secretFile] = process.argv.slice(2) as [string, string];
process.stdout.write('ready\n');
await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));
let announced = false;
const logs = new Writable({
  write(chunk, _enc, cb) {
    for (const line of String(chunk).split('\n')) {
      if (!announced && line.includes('webhook listener ready')) {
        announced = true;
        process.stdout.write(`started ${(JSON.parse(line) as { url: string }).url}\n`);
      } else if (line.includes('"level":50') || line.includes('"level":60')) process.stderr.write(line + '\n');
    }
    cb();
  },
});
await startPipeline(
  {
    dataDir,
    api: { enabled: false },
    log: { level: 'info' },
    sources: [{ id: 'hooks', type: 'zendesk_webhook', listen: '127.0.0.1:0', endpoints: [{ path: '/zendesk/acme', secret: `\${file:${secretFile}}`, account: 'acme' }], ackTimeout: '3s' }],
    sinks: [{ id: 'out', type: 'file', inputs: ['hooks'], path: `${dataDir}/out.ndjson`, buffer: { type: 'disk', maxBytes: '4MiB', segmentBytes: '256KiB' }, batch: { maxEvents: 50, maxWait: '5ms' } }],
  },
  { logDestination: logs },
);
