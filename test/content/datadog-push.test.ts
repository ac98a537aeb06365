// `zsf content push datadog` through the official client against a loopback receiver: the first
// run creates the pipeline, every rule and the dashboard; the second creates nothing and updates
// each by name; existing rules are found across pages, Datadog default rules are left alone;
// both keys are sent on every request and never appear in errors.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadDatadogContent, pushDatadogContent, registerContentCommand } from '../../src/cli/content.js';
import { tempDir } from '../support/temp-dir.js';
import { startDatadogConfigReceiver, type DatadogConfigReceiver } from './datadog-config-receiver.js';
import { CONTENT_DIR } from './helpers.js';

const KEYS = { apiKey: 'dd-api-key-7c1f0e', appKey: 'dd-app-key-93ab44' };
const content = loadDatadogContent(CONTENT_DIR);
const ITEMS = content.rules.length + 2;

let receiver: DatadogConfigReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  vi.restoreAllMocks();
});

function push(url: string, keys = KEYS) {
  return pushDatadogContent({ ...keys, apiUrl: url, contentDir: CONTENT_DIR });
}

describe('zsf content push datadog', () => {
  it('creates everything once, then only updates: running it twice creates nothing new', async () => {
    receiver = await startDatadogConfigReceiver(KEYS);
    const first = await push(receiver.url);
    expect(first.created).toHaveLength(ITEMS);
    expect(first.updated).toEqual([]);
    expect(receiver.pipelines.size).toBe(1);
    expect(receiver.rules.size).toBe(content.rules.length);
    expect(receiver.dashboards.size).toBe(1);
    const ids = [...receiver.rules.keys()].sort();

    const second = await push(receiver.url);
    expect(second.created).toEqual([]);
    expect(second.updated.sort()).toEqual(first.created.sort());
    expect(receiver.pipelines.size).toBe(1);
    expect([...receiver.rules.keys()].sort()).toEqual(ids);
    expect(receiver.dashboards.size).toBe(1);
    for (const r of receiver.rules.values()) expect(r.version).toBe(2);

    // What arrived is the content, as the client serialized it.
    const stored = [...receiver.rules.values()].find((r) => r.name === 'Zendesk - Failed sign-in')!;
    expect((stored.queries as { query: string }[])[0]!.query).toBe('source:zendesk schema:ocsf @metadata.labels:"risk:failed_sign_in"');
    expect([...receiver.pipelines.values()][0]!.processors).toHaveLength((content.pipeline.processors as unknown[]).length);

    expect(receiver.requests.length).toBeGreaterThan(2 * ITEMS);
    for (const r of receiver.requests) expect(r).toMatchObject({ apiKey: KEYS.apiKey, appKey: KEYS.appKey });
  });

  it('finds an existing rule of the same name on a later page, and leaves Datadog default rules alone', async () => {
    const target = content.rules[3]!.body;
    const rule = (id: string, name: string, isDefault: boolean) => ({ id, name, isDefault, type: 'log_detection', isEnabled: true, queries: [], cases: [], options: {}, message: '', tags: [] });
    const seed = Array.from({ length: 150 }, (_, i) => rule(`other-${i}`, `Other rule ${i}`, false));
    seed.push(rule('default-1', String(target.name), true)); // a Datadog default rule with our name
    seed.push(rule('mine-1', String(target.name), false)); // ours, from an earlier push, on page 2
    receiver = await startDatadogConfigReceiver(KEYS, { rules: seed });
    const res = await push(receiver.url);
    expect(res.updated).toContain(`rule "${String(target.name)}"`);
    expect(receiver.rules.get('mine-1')!.version).toBe(2);
    expect(receiver.rules.get('default-1')!.version).toBeUndefined();
    expect(receiver.rules.size).toBe(seed.length + content.rules.length - 1);
    expect(receiver.requests.filter((r) => r.method === 'GET' && r.path === '/api/v2/security_monitoring/rules').length).toBe(2);
  });

  it('a wrong key fails with the API error, never echoing either key', async () => {
    receiver = await startDatadogConfigReceiver(KEYS);
    const err = await push(receiver.url, { apiKey: KEYS.apiKey, appKey: 'wrong-app-key-5521' }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toMatch(/403|Forbidden/);
    const text = `${String((err as Error).message)} ${String((err as Error).stack)} ${JSON.stringify(err)}`;
    expect(text).not.toContain(KEYS.apiKey);
    expect(text).not.toContain('wrong-app-key-5521');
    expect(receiver.pipelines.size + receiver.rules.size + receiver.dashboards.size).toBe(0);
  });

  it('the CLI reads the keys from files and reports what it did', async () => {
    receiver = await startDatadogConfigReceiver(KEYS);
    const dir = tempDir('zsf-content-');
    writeFileSync(join(dir, 'api'), `${KEYS.apiKey}\n`);
    writeFileSync(join(dir, 'app'), `${KEYS.appKey}\n`);
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
      lines.push(a.join(' '));
    });
    const run = async () => {
      const program = new Command().exitOverride();
      registerContentCommand(program);
      await program.parseAsync(['node', 'zsf', 'content', 'push', 'datadog', '--api-key-file', join(dir, 'api'), '--app-key-file', join(dir, 'app'), '--api-url', receiver!.url, '--content', CONTENT_DIR]);
    };
    await run();
    await run();
    expect(lines.filter((l) => l.startsWith('datadog: '))).toEqual([`datadog: ${ITEMS} created, 0 updated (content/datadog)`, `datadog: 0 created, ${ITEMS} updated (content/datadog)`]);
    expect(lines.join('\n')).not.toContain(KEYS.apiKey);
    const missing = new Command().exitOverride();
    registerContentCommand(missing);
    await expect(missing.parseAsync(['node', 'zsf', 'content', 'push', 'datadog', '--api-key-file', join(dir, 'nope'), '--app-key-file', join(dir, 'app'), '--api-url', receiver.url])).rejects.toThrow(/cannot read the API key file .*nope: ENOENT/);
  });
});
