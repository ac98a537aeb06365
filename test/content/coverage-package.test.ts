// Every risk label of the enrichment and every threshold has content in all three packs, and the
// Splunk app packages into a .tgz that holds exactly the app's files (no hidden files).

import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { list } from 'tar';
import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { loadDatadogContent, packageSplunkApp, pushDatadogContent, registerContentCommand, SPLUNK_APP } from '../../src/cli/content.js';
import { RISK_RULES } from '../../transforms/enrich/rules.js';
import { tempDir } from '../support/temp-dir.js';
import { CONTENT_DIR, parseConf, SPLUNK_APP_DIR } from './helpers.js';

const THRESHOLDS = ['failed_sign_in_burst_user', 'failed_sign_in_burst_ip', 'mass_export', 'ticket_deletion_burst'];

describe('coverage of the risk labels', () => {
  const splunk = [...parseConf(`${SPLUNK_APP_DIR}default/savedsearches.conf`).values()].map((s) => s.get('search')!);
  const datadog = loadDatadogContent(CONTENT_DIR).rules.map((r) => JSON.stringify(r.body.queries));
  const sigma = readdirSync(`${CONTENT_DIR}sigma`).map((f) => readFileSync(`${CONTENT_DIR}sigma/${f}`, 'utf8'));

  it.each(RISK_RULES.map((r) => r.id))('risk:%s has a Splunk alert, a Datadog rule and a Sigma rule', (id) => {
    expect(splunk.filter((s) => s.includes(`"risk:${id}"`)).length).toBeGreaterThanOrEqual(1);
    expect(datadog.filter((q) => q.includes(`\\"risk:${id}\\"`)).length).toBeGreaterThanOrEqual(1);
    expect(sigma.filter((y) => y.includes(`metadata.labels: risk:${id}\n`)).length).toBe(1);
  });

  it('every threshold exists in all three packs with the same number', () => {
    const dd = loadDatadogContent(CONTENT_DIR).rules;
    for (const t of THRESHOLDS) {
      const rule = dd.find((r) => r.file === `${t}.json`)!.body as { cases: { condition: string }[] };
      const ddMin = Number(/>= (\d+)$/.exec(rule.cases[0]!.condition)![1]);
      const sigmaMin = Number(/gte: (\d+)/.exec(readFileSync(`${CONTENT_DIR}sigma/zendesk_${t}.yml`, 'utf8'))![1]);
      expect(ddMin, t).toBe(sigmaMin);
      expect(splunk.some((s) => s.endsWith(`| where count >= ${ddMin}`)), t).toBe(true);
    }
  });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? filesUnder(join(dir, f)) : [join(dir, f)]));
}

describe('Splunk app package', () => {
  it('packs every file of the app under its folder name, and leaves hidden files out', async () => {
    const work = tempDir('zsf-pkg-');
    cpSync(`${CONTENT_DIR}splunk`, join(work, 'content', 'splunk'), { recursive: true });
    writeFileSync(join(work, 'content', 'splunk', SPLUNK_APP, 'default', '.DS_Store'), 'x');
    const res = await packageSplunkApp(join(work, 'content'), join(work, 'out'));
    const version = parseConf(`${SPLUNK_APP_DIR}default/app.conf`).get('launcher')!.get('version');
    expect(res.file).toBe(join(work, 'out', `${SPLUNK_APP}-${version}.tgz`));
    const inTar: string[] = [];
    await list({ file: res.file, onReadEntry: (e) => void (e.type === 'File' && inTar.push(e.path)) });
    const expected = filesUnder(SPLUNK_APP_DIR).map((f) => `${SPLUNK_APP}/${relative(SPLUNK_APP_DIR, f)}`);
    expect(inTar.sort()).toEqual(expected.sort());
    expect(inTar).toContain(`${SPLUNK_APP}/default/props.conf`);
    expect(inTar.some((p) => p.includes('/.'))).toBe(false);
    expect(res.bytes).toBeGreaterThan(1000);
  });

  it('refuses a folder without the app', async () => {
    await expect(packageSplunkApp(tempDir('zsf-pkg-'), tmpdir())).rejects.toThrow(/app\.conf not found/);
  });

  it('zsf content package splunk --out writes the .tgz and says where', async () => {
    const out = join(tempDir('zsf-pkg-'), 'dist', 'content');
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    const program = new Command().exitOverride();
    registerContentCommand(program);
    await program.parseAsync(['node', 'zsf', 'content', 'package', 'splunk', '--out', out]);
    vi.restoreAllMocks();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${out}/${SPLUNK_APP}-\\d+\\.\\d+\\.\\d+\\.tgz: \\d+ bytes, \\d+ entries$`));
    const bad = new Command().exitOverride();
    registerContentCommand(bad);
    await expect(bad.parseAsync(['node', 'zsf', 'content', 'package', 'qradar', '--out', out])).rejects.toThrow(/unknown package target "qradar"/);
  });

  it('push refuses a malformed --site before any request', async () => {
    await expect(pushDatadogContent({ apiKey: 'k', appKey: 'a', site: 'https://evil.example/x', contentDir: CONTENT_DIR })).rejects.toThrow(/--site expects a Datadog site/);
  });

  it('is wired as npm run content:package', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string>; files: string[] };
    expect(pkg.scripts['content:package']).toBe('tsx src/cli/main.ts content package splunk');
    expect(pkg.files).toContain('content');
  });
});
