import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, loadConfigFile, loadConfigObject } from '../../src/app/config.js';
import { parseDuration, parseSize } from '../../src/config/units.js';
import { problems } from '../support/config-problems.js';
import { tempDir } from '../support/probe.js';

const minimal = () => ({
  sources: [{ id: 'gen', type: 'generator', count: 10 }],
  sinks: [{ id: 'out', type: 'file', inputs: ['gen'], path: 'out.ndjson' }],
});


describe('units', () => {
  it('parses durations and sizes with units', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseSize('1GiB')).toBe(1024 ** 3);
    expect(parseSize('10MB')).toBe(10_000_000);
    expect(parseSize('64KiB')).toBe(65_536);
    expect(parseSize(42)).toBe(42);
    expect(parseSize('lots')).toBeUndefined();
  });

  it('applies units in the schema and rejects bad ones with the path', () => {
    const { config } = loadConfigObject({ ...minimal(), shutdownTimeout: '2m', sinks: [{ ...minimal().sinks[0], batch: { maxBytes: '1MiB', maxWait: '250ms' } }] }, { env: {} });
    expect(config.shutdownTimeout).toBe(120_000);
    expect(config.sinks[0]!.batch).toEqual({ maxEvents: 1000, maxBytes: 1024 * 1024, maxWait: 250 });
    expect(problems({ ...minimal(), shutdownTimeout: 'a while' })).toEqual([expect.stringMatching(/^shutdownTimeout: expected a duration such as "500ms"/)]);
  });
});

describe('interpolation', () => {
  it('expands ${VAR}, ${VAR:-default}, ${file:PATH} and $${ escapes', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'secret'), 's3cr3t-from-file\n');
    const { config, secrets } = loadConfigObject(
      {
        ...minimal(),
        zendesk: {
          accounts: [
            { name: 'acme', baseUrl: '${ZD_URL:-http://127.0.0.1:8089}', auth: { type: 'token', email: '${ZD_EMAIL}', token: '${file:secret}' } },
          ],
        },
        sinks: [{ ...minimal().sinks[0], path: 'out-$${literal}.ndjson' }],
      },
      { env: { ZD_EMAIL: 'admin@example.com' }, baseDir: dir },
    );
    const account = config.zendesk.accounts[0]!;
    expect(account.baseUrl).toBe('http://127.0.0.1:8089');
    expect(account.auth).toEqual({ type: 'token', email: 'admin@example.com', token: 's3cr3t-from-file' });
    expect(config.sinks[0]!.path).toBe('out-${literal}.ndjson');
    expect(secrets.scrub('token=s3cr3t-from-file')).toBe('token=[REDACTED]');
  });

  it('names the missing variable and where it is used', () => {
    expect(problems({ ...minimal(), dataDir: '${NOPE_DIR}' })).toEqual([
      'dataDir: environment variable NOPE_DIR is not set (set it, or give a default with ${NOPE_DIR:-value})',
    ]);
  });
});

describe('schema errors', () => {
  it('rejects unknown keys with a did-you-mean hint', () => {
    const raw = minimal();
    (raw.sinks[0] as Record<string, unknown>).pth = 'x';
    expect(problems(raw)).toContainEqual('sinks[0].pth: unknown key (did you mean "path"?); remove it or fix its spelling');
  });

  it('rejects unknown component types and lists the valid ones', () => {
    const raw = minimal();
    (raw.sinks[0] as Record<string, unknown>).type = 'fiel';
    const p = problems(raw);
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^sinks\[0\]\.type: unknown sink type "fiel" \(did you mean "file"\?\); expected one of .*file/);
  });

  it('names the path of a missing required option and of a wrong type', () => {
    const raw = minimal();
    delete (raw.sinks[0] as Record<string, unknown>).path;
    (raw.sources[0] as Record<string, unknown>).count = 'many';
    const p = problems(raw);
    expect(p).toContain('sinks[0].path: required (expected string)');
    expect(p).toContain('sources[0].count: expected number, got string "many"');
  });

  it('validates URLs of Zendesk accounts', () => {
    const p = problems({ ...minimal(), zendesk: { accounts: [{ name: 'a', baseUrl: 'ftp://x', auth: { type: 'oauth', accessToken: 't' } }] } });
    expect(p).toEqual([expect.stringMatching(/^zendesk\.accounts\[0\]\.baseUrl: expected an http\(s\) URL/)]);
  });
});

describe('graph validation', () => {
  it('reports duplicate ids, unknown inputs, self inputs, cycles and unconsumed components together', () => {
    const p = problems({
      sources: [
        { id: 'gen', type: 'generator' },
        { id: 'idle', type: 'generator' },
      ],
      sinks: [
        { id: 'out', type: 'file', inputs: ['gen', 'gne'], path: 'a' },
        { id: 'gen', type: 'file', inputs: ['out'], path: 'b' },
      ],
    });
    expect(p).toContain('sinks[1].id: duplicate id "gen" (also at sources[0].id); ids must be unique across sources, transforms and sinks');
    expect(p).toContain('sinks[0].inputs[1]: unknown input "gne" (did you mean "gen"?); inputs name a source or transform id');
    expect(p).toContain('sinks[1].inputs[0]: "out" is a sink; sinks produce nothing to read');
    expect(p).toContain('sources[1].id: "idle" is not an input of any transform or sink; remove it or add it to some inputs');
  });
});

describe('YAML files and the CLI', () => {
  it('reports invalid YAML with line and column', () => {
    const dir = tempDir();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'sources:\n  - id: gen\n    type: [generator\nsinks: []\n');
    expect(() => loadConfigFile(file)).toThrowError(/bad\.yaml:\d+:\d+: invalid YAML/);
  });

  it('`zsf validate` exits 2 and names the path; exits 0 on a good file', () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'sources:\n  - { id: gen, type: generator }\nsinks:\n  - { id: out, type: file, inputs: [gen], path: out.ndjson, batch: { maxEvents: 0 } }\n');
    const run = (f: string) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'validate', '--config', f], { encoding: 'utf8', timeout: 20_000 });
    const r = run(bad);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('sinks[0].batch.maxEvents:');
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'sources:\n  - { id: gen, type: generator }\nsinks:\n  - { id: out, type: file, inputs: [gen], path: out.ndjson }\n');
    const ok = run(good);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('OK (1 sources, 0 transforms, 1 sinks)');
  });

  it('exports a JSON Schema that knows every sink type', () => {
    const text = JSON.stringify(configJsonSchema());
    expect(text).toContain('"file"');
    expect(text).toContain('"generator"');
    expect(text).toContain('whenFull');
  });
});
