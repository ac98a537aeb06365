// `zsf content package splunk` and `zsf content push datadog`: ship the SOC content of content/
// (Splunk add-on, Datadog pipeline, rules and dashboard). Packaging writes a .tgz with the `tar`
// package (no external tool); pushing goes through the official Datadog client, idempotent by
// name: list what exists, then update the item of the same name or create it.

import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { client as ddClient, v1 as ddV1, v2 as ddV2 } from '@datadog/datadog-api-client';

export const SPLUNK_APP = 'TA-zendesk-siem-forwarder';

/** content/ of this package: two levels above src/cli (tsx) or three above dist/src/cli (built). */
export function defaultContentDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const rel of ['../../content', '../../../content']) {
    const dir = resolve(here, rel);
    if (existsSync(join(dir, 'splunk'))) return dir;
  }
  return resolve(here, '../../content');
}

/** Reads `key = value` of one [stanza] of a Splunk .conf file (no continuation lines needed here). */
export function confValue(text: string, stanza: string, key: string): string | undefined {
  let inStanza = false;
  for (const line of text.split(/\r?\n/)) {
    const head = /^\[(.*)\]\s*$/.exec(line);
    if (head) {
      inStanza = head[1] === stanza;
      continue;
    }
    const kv = /^([^#=\s][^=]*?)\s*=\s*(.*)$/.exec(line);
    if (inStanza && kv && kv[1] === key) return kv[2];
  }
  return undefined;
}

export interface PackageResult {
  file: string;
  bytes: number;
  entries: string[];
}

/** Packs content/splunk/TA-zendesk-siem-forwarder into <outDir>/TA-zendesk-siem-forwarder-<version>.tgz. */
export async function packageSplunkApp(contentDir: string, outDir: string): Promise<PackageResult> {
  const root = join(contentDir, 'splunk');
  const appDir = join(root, SPLUNK_APP);
  const appConf = join(appDir, 'default', 'app.conf');
  if (!existsSync(appConf)) throw new Error(`${appConf} not found: is ${contentDir} the content folder?`);
  const version = confValue(readFileSync(appConf, 'utf8'), 'launcher', 'version');
  if (!version || !/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`${appConf}: [launcher] version must be x.y.z, got ${version ?? 'nothing'}`);
  const { create } = await import('tar');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${SPLUNK_APP}-${version}.tgz`);
  const entries: string[] = [];
  // Splunk (and AppInspect) refuse hidden files and owner/mtime noise makes builds differ.
  await create(
    {
      gzip: true,
      file,
      cwd: root,
      portable: true,
      noMtime: true,
      filter: (path) => !path.split('/').some((part) => part.startsWith('.')),
      onWriteEntry: (entry) => {
        entries.push(entry.path);
      },
    },
    [SPLUNK_APP],
  );
  return { file, bytes: statSync(file).size, entries };
}

export interface DatadogContent {
  pipeline: Record<string, unknown>;
  dashboard: Record<string, unknown>;
  rules: { file: string; body: Record<string, unknown> }[];
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function loadDatadogContent(contentDir: string): DatadogContent {
  const dir = join(contentDir, 'datadog');
  const rulesDir = join(dir, 'rules');
  return {
    pipeline: readJson(join(dir, 'pipeline.json')),
    dashboard: readJson(join(dir, 'dashboard.json')),
    rules: readdirSync(rulesDir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => ({ file: f, body: readJson(join(rulesDir, f)) })),
  };
}

export interface PushOptions {
  apiKey: string;
  appKey: string;
  /** Datadog site such as datadoghq.com or datadoghq.eu; the API is https://api.<site>. */
  site?: string;
  /** Overrides the API base URL (a proxy, or a test receiver). */
  apiUrl?: string;
  contentDir: string;
  log?: (line: string) => void;
}

export interface PushResult {
  created: string[];
  updated: string[];
}

type Dd = typeof import('@datadog/datadog-api-client');

/** Creates or updates the pipeline, every rule and the dashboard, matching existing ones by name. */
export async function pushDatadogContent(o: PushOptions): Promise<PushResult> {
  const content = loadDatadogContent(o.contentDir);
  const dd: Dd = await import('@datadog/datadog-api-client');
  const site = o.site ?? 'datadoghq.com';
  if (!o.apiUrl && !/^[a-z0-9]+(?:[.-][a-z0-9]+)*\.[a-z]{2,}$/.test(site)) throw new Error(`--site expects a Datadog site such as datadoghq.com or datadoghq.eu, got "${site}"`);
  const base = o.apiUrl ?? `https://api.${site}`;
  const config: ddClient.Configuration = dd.client.createConfiguration({
    baseServer: new dd.client.ServerConfiguration(base, {}),
    authMethods: { apiKeyAuth: o.apiKey, appKeyAuth: o.appKey },
  });
  const log = o.log ?? (() => undefined);
  const result: PushResult = { created: [], updated: [] };
  const note = (kind: 'created' | 'updated', what: string) => {
    result[kind].push(what);
    log(`${kind} ${what}`);
  };

  // Pipeline (v1 logs configuration): the list endpoint returns every pipeline at once.
  const pipelines = new dd.v1.LogsPipelinesApi(config);
  const pipeline = dd.v1.ObjectSerializer.deserialize(content.pipeline, 'LogsPipeline') as ddV1.LogsPipeline;
  const existingPipeline = (await pipelines.listLogsPipelines()).find((p) => p.name === pipeline.name);
  if (existingPipeline?.id) {
    await pipelines.updateLogsPipeline({ pipelineId: existingPipeline.id, body: pipeline });
    note('updated', `pipeline "${pipeline.name}"`);
  } else {
    await pipelines.createLogsPipeline({ body: pipeline });
    note('created', `pipeline "${pipeline.name}"`);
  }

  // Detection rules (v2), paged; Datadog's own default rules are never touched.
  const security = new dd.v2.SecurityMonitoringApi(config);
  const ruleIds = new Map<string, string>();
  const pageSize = 100;
  for (let page = 0; ; page++) {
    const res = await security.listSecurityMonitoringRules({ pageSize, pageNumber: page });
    const data = res.data ?? [];
    for (const r of data) {
      const rule = r as { name?: string; id?: string; isDefault?: boolean };
      if (rule.name && rule.id && !rule.isDefault) ruleIds.set(rule.name, rule.id);
    }
    if (data.length < pageSize) break;
  }
  for (const { body } of content.rules) {
    const name = String(body.name);
    const id = ruleIds.get(name);
    if (id) {
      const { type: _type, ...rest } = body;
      const update = dd.v2.ObjectSerializer.deserialize(rest, 'SecurityMonitoringRuleUpdatePayload') as ddV2.SecurityMonitoringRuleUpdatePayload;
      await security.updateSecurityMonitoringRule({ ruleId: id, body: update });
      note('updated', `rule "${name}"`);
    } else {
      const create = dd.v2.ObjectSerializer.deserialize(body, 'SecurityMonitoringStandardRuleCreatePayload') as ddV2.SecurityMonitoringStandardRuleCreatePayload;
      await security.createSecurityMonitoringRule({ body: create });
      note('created', `rule "${name}"`);
    }
  }

  // Dashboard (v1), matched by title; listed in pages of 100.
  const dashboards = new dd.v1.DashboardsApi(config);
  const dashboard = dd.v1.ObjectSerializer.deserialize(content.dashboard, 'Dashboard') as ddV1.Dashboard;
  let dashboardId: string | undefined;
  for (let start = 0; dashboardId === undefined; start += 100) {
    const list = (await dashboards.listDashboards({ count: 100, start })).dashboards ?? [];
    dashboardId = list.find((d) => d.title === dashboard.title)?.id;
    if (list.length < 100) break;
  }
  if (dashboardId) {
    await dashboards.updateDashboard({ dashboardId, body: dashboard });
    note('updated', `dashboard "${dashboard.title}"`);
  } else {
    await dashboards.createDashboard({ body: dashboard });
    note('created', `dashboard "${dashboard.title}"`);
  }
  return result;
}

function readKeyFile(file: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new Error(`cannot read the ${what} file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (!text) throw new Error(`the ${what} file ${file} is empty`);
  return text;
}

export function registerContentCommand(program: Command): void {
  const content = program.command('content').description('SOC content: Splunk add-on, Datadog pipeline/rules/dashboard, Sigma rules (see docs/soc-content.md)');
  content
    .command('package')
    .description('package the Splunk add-on into a .tgz')
    .argument('<target>', 'what to package: splunk')
    .option('--out <dir>', 'output folder', 'dist/content')
    .option('--content <dir>', 'content folder (default: the one shipped with zsf)')
    .action(async (target: string, o: { out: string; content?: string }) => {
      if (target !== 'splunk') throw new Error(`unknown package target "${target}" (known: splunk)`);
      const res = await packageSplunkApp(o.content ?? defaultContentDir(), o.out);
      console.log(`${res.file}: ${res.bytes} bytes, ${res.entries.length} entries`);
    });
  content
    .command('push')
    .description('create or update the Datadog log pipeline, Cloud SIEM rules and dashboard, matched by name')
    .argument('<target>', 'where to push: datadog')
    .requiredOption('--api-key-file <file>', 'file holding the Datadog API key')
    .requiredOption('--app-key-file <file>', 'file holding the Datadog application key')
    .option('--site <site>', 'Datadog site (datadoghq.com, datadoghq.eu, us3.datadoghq.com, ...)', 'datadoghq.com')
    .option('--api-url <url>', 'API base URL instead of https://api.<site> (proxy or test receiver)')
    .option('--content <dir>', 'content folder (default: the one shipped with zsf)')
    .action(async (target: string, o: { apiKeyFile: string; appKeyFile: string; site: string; apiUrl?: string; content?: string }) => {
      if (target !== 'datadog') throw new Error(`unknown push target "${target}" (known: datadog)`);
      const res = await pushDatadogContent({
        apiKey: readKeyFile(o.apiKeyFile, 'API key'),
        appKey: readKeyFile(o.appKeyFile, 'application key'),
        site: o.site,
        ...(o.apiUrl ? { apiUrl: o.apiUrl } : {}),
        contentDir: o.content ?? defaultContentDir(),
        log: (line) => console.log(line),
      });
      console.log(`datadog: ${res.created.length} created, ${res.updated.length} updated (${basename(o.content ?? defaultContentDir())}/datadog)`);
    });
}
