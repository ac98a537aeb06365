// Child process of the SIGKILL campaign (zendesk-sigkill.campaign.ts): runs the pipeline whose
// config the parent wrote to a JSON file, following or --once. Like test/support/zendesk-crash-child.ts
// it loads its modules first and says "ready", then starts on "go" from stdin, so the parent can
// warm the next process while this one runs and a restart takes milliseconds.
// argv: configFile once|follow
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { startPipeline } from '../../src/app/start.js';

const [configFile, mode] = process.argv.slice(2);
process.stdout.write('ready\n');
await once(process.stdin, 'data');
const p = await startPipeline(JSON.parse(readFileSync(configFile!, 'utf8')) as unknown, { once: mode === 'once' });
process.stdout.write('started\n');
const r = await p.done;
process.stdout.write(r.ok ? 'done\n' : `failed ${JSON.stringify(r.failures)}\n`);
process.exit(r.ok ? 0 : 1);
