// Child process of the SIGKILL campaign (zendesk-sigkill.campaign.ts): runs the pipeline whose
// config the parent wrote to a JSON file, following or --once. Like test/support/zendesk-crash-child.ts
// it loads its modules first and says "ready", then starts on "go" from stdin, so the parent can
// warm the next process while this one runs and a restart takes milliseconds.
// argv: configFile once|follow
import { readFileSync } from 'node:fs';
import { runAsWarmChild } from '../support/warm-child-main.js';

const [configFile, mode] = process.argv.slice(2);
await runAsWarmChild(JSON.parse(readFileSync(configFile!, 'utf8')) as unknown, { once: mode === 'once' });
