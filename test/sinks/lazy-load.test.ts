// Sink SDKs load only with a configured sink: the sink registry, config validation and
// `--help` must not import the AWS, OpenTelemetry, Datadog or Parquet packages; and `zsf run`
// loads only its own command's code (not the simulator, the integrity verifier or the other
// commands'). Checked in a child process whose ESM resolve hook records every module it loads.

import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { toSinkEvent, type SinkDriver } from '../../src/core/types.js';
import { lazyDriver } from '../../src/sinks/shared/lazy-driver.js';
import { tempDir } from '../support/probe.js';
import { startDatadogReceiver } from '../receivers/datadog.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SDKS = /\/node_modules\/(@aws-sdk\/|@smithy\/|@opentelemetry\/|@datadog\/|hyparquet-writer\/)/;

/** A config file in a fresh folder: a generator of `count` events into `sinks` (YAML flow lines). */
function generatorConfig(prefix: string, count: number, sinks: string[], extra: string[] = []): string {
  const dir = tempDir(prefix);
  const config = join(dir, 'zsf.yaml');
  const lines = [`dataDir: ${JSON.stringify(join(dir, 'data'))}`, ...extra, 'sources:', `  - { id: gen, type: generator, count: ${count} }`, 'sinks:', ...sinks.map((x) => `  - ${x}`), ''];
  writeFileSync(config, lines.join('\n'));
  return config;
}

/** Runs `node --import tsx <args>` with a resolve hook; returns the node_modules packages it loaded. */
async function loadedPackages(args: string[]): Promise<{ sdk: string[]; all: number; stdout: string; ours: string[]; urls: string[] }> {
  const dir = tempDir('zsf-lazy-');
  const log = join(dir, 'loaded.txt');
  writeFileSync(log, '');
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
  return r;
}
`,
  );
  writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(new URL('./hooks.mjs', import.meta.url));\n`);
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--import', join(dir, 'register.mjs'), ...args], { cwd: ROOT, timeout: 60_000 });
  const urls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const sdk = [...new Set(urls.filter((u) => SDKS.test(u)).map((u) => SDKS.exec(u)![1]!))];
  // Our own modules, as paths from the repository root (src/..., transforms/...).
  const ours = [...new Set(urls.filter((u) => u.startsWith('file://') && !u.includes('/node_modules/')).map((u) => fileURLToPath(u).slice(ROOT.length)))];
  return { sdk, all: urls.length, stdout, ours, urls };
}

const importing = (path: string) => ['--input-type=module', '-e', `await import(${JSON.stringify(join(ROOT, path))})`];

describe('lazy-loaded sink SDKs', () => {
  it('the hook sees the SDKs when a driver module is imported (the check can fail)', async () => {
    expect((await loadedPackages(importing('src/sinks/s3/driver.ts'))).sdk).toEqual(expect.arrayContaining(['@aws-sdk/', 'hyparquet-writer/']));
    expect((await loadedPackages(importing('src/sinks/otlp/driver.ts'))).sdk).toContain('@opentelemetry/');
  }, 120_000);

  it('loading the sink registry loads no sink SDK', async () => {
    const r = await loadedPackages(importing('src/sinks/index.ts'));
    expect(r.all).toBeGreaterThan(50); // the registry and its config schemas did load
    expect(r.sdk).toEqual([]);
  }, 60_000);

  it('zsf --help and zsf validate (of a config with S3, OTLP and Datadog sinks) load no sink SDK', async () => {
    const config = generatorConfig('zsf-lazy-cfg-', 10, [
      '{ id: archive, type: s3, inputs: [gen], bucket: zsf-archive, region: eu-west-1 }',
      '{ id: otel, type: otlp, inputs: [gen], endpoint: "http://127.0.0.1:4318/v1/logs" }',
      '{ id: dd, type: datadog_logs, inputs: [gen], apiKey: k }',
    ]);
    const help = await loadedPackages([join(ROOT, 'src/cli/main.ts'), '--help']);
    expect(help.stdout).toContain('zsf');
    expect(help.sdk).toEqual([]);
    const validate = await loadedPackages([join(ROOT, 'src/cli/main.ts'), 'validate', '-c', config]);
    expect(validate.sdk).toEqual([]);
  }, 120_000);
});

describe('zsf run loads only what running needs', () => {
  // Modules of other commands: the simulator (simulate, demo, webhook-test), the archive
  // verifier and key tools (verify, keygen), top's screen, content packaging, dead-letter tools.
  const OTHER_COMMANDS = /^(src\/simulator\/|src\/integrity\/(verify|report|s3-store)\.|src\/cli\/(simulate|demo|webhook-test|integrity|top|content|dead-letters|checkpoints)\.|src\/cli\/top\/)/;

  it('the hook sees those modules when their command runs (the check can fail)', async () => {
    const r = await loadedPackages([join(ROOT, 'src/cli/main.ts'), 'simulate', '--help']);
    expect(r.stdout).toContain('simulator');
    expect(r.ours.filter((m) => OTHER_COMMANDS.test(m))).toEqual(expect.arrayContaining(['src/cli/simulate.ts', 'src/simulator/index.ts']));
  }, 60_000);

  it('zsf run --once of a generator into a null sink loads no other command and no sink SDK', async () => {
    const config = generatorConfig('zsf-lazy-run-', 10, ['{ id: sink, type: "null", inputs: [gen] }'], ['api: { enabled: false }']);
    const r = await loadedPackages([join(ROOT, 'src/cli/main.ts'), 'run', '--once', '-c', config]);
    expect(r.ours).toContain('src/core/pipeline.ts'); // the run did load the pipeline
    expect(r.ours.filter((m) => OTHER_COMMANDS.test(m))).toEqual([]);
    expect(r.sdk).toEqual([]);
  }, 60_000);
});

describe('the Datadog client loads only the APIs in use', () => {
  /** `zsf run --once` of 20 generated events into a Datadog sink (receiver on loopback); the modules it loaded. */
  async function runIntoDatadog(healthcheck: boolean) {
    const receiver = await startDatadogReceiver({ apiKeys: ['k'] });
    try {
      const config = generatorConfig('zsf-lazy-dd-', 20, [`{ id: dd, type: datadog_logs, inputs: [gen], apiKey: k, endpoint: ${JSON.stringify(receiver.url)}, healthcheck: { enabled: ${healthcheck} } }`], ['api: { enabled: false }']);
      const r = await loadedPackages([join(ROOT, 'src/cli/main.ts'), 'run', '--once', '-c', config]);
      const apis = r.urls.filter((u) => /datadog-api-client-v[12]\/apis\//.test(u)).map((u) => u.slice(u.indexOf('datadog-api-client-v')));
      return { apis: [...new Set(apis)].sort(), delivered: receiver.logCount };
    } finally {
      await receiver.close();
    }
  }

  it('sending loads the v2 LogsApi only; the v1 AuthenticationApi loads for the API-key check (the check can fail)', async () => {
    expect(await runIntoDatadog(false)).toEqual({ apis: ['datadog-api-client-v2/apis/LogsApi.js'], delivered: 20 });
    expect(await runIntoDatadog(true)).toEqual({ apis: ['datadog-api-client-v1/apis/AuthenticationApi.js', 'datadog-api-client-v2/apis/LogsApi.js'], delivered: 20 });
  }, 120_000);
});

describe('lazyDriver', () => {
  const events = [toSinkEvent({ meta: { id: 'a:s:1', account: 'a', stream: 's', time: 0, schema: 'raw' }, body: { n: 1 } })];

  it('sends through the driver once its module has loaded', async () => {
    let resolveLoad!: (d: SinkDriver) => void;
    const sent: unknown[] = [];
    const d = lazyDriver('s', () => new Promise((r) => (resolveLoad = r)));
    const sending = d.send(events, new AbortController().signal);
    resolveLoad({ send: async (evs) => (sent.push(...evs), { kind: 'ok' }) });
    expect(await sending).toEqual({ kind: 'ok' });
    expect(sent).toEqual(events);
  });

  it('names the sink and the cause when the module cannot be loaded, and closes cleanly', async () => {
    const d = lazyDriver('archive', () => Promise.reject(new Error("Cannot find package '@aws-sdk/client-s3'")));
    await expect(d.send(events, new AbortController().signal)).rejects.toThrow("sink archive: its driver module could not be loaded: Cannot find package '@aws-sdk/client-s3'");
    await expect(d.healthcheck!(new AbortController().signal)).rejects.toThrow(/sink archive: its driver module could not be loaded/);
    await expect(d.close!()).resolves.toBeUndefined();
  });
});
