import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { hostname } from 'node:os';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import parquetjs from '@dsnp/parquetjs';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sectionDefault, type BuildEnv } from '../../src/core/plugin.js';
import type { PipelineEvent, SinkDriver } from '../../src/core/types.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { Secrets } from '../../src/observability/secrets.js';
import { s3Sink } from '../../src/sinks/s3/index.js';
import { planFor } from '../../src/sinks/s3/plan.js';
import type { S3Config } from '../../src/sinks/s3/config.js';
import { loadConfigFile } from '../../src/app/config.js';
import { compileKeyTemplate } from '../../src/sinks/s3/key-template.js';
import { ocsfClassLayout } from '../../src/sinks/s3/ocsf-schema.js';
import { captureLogs } from '../support/capture-logs.js';
import { metric } from '../support/metric.js';
import { mulberry32 } from '../support/random.js';
import { tempDir } from '../support/temp-dir.js';
import { startS3Server, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, type S3TestServer } from '../support/s3-server.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commonSinkOptions } from '../support/sink-options.js';
import { sendsPipelineEvents } from '../support/sink-events.js';

// The sink gets its credentials the way production does: from the SDK default chain (env).
beforeAll(() => {
  process.env.AWS_ACCESS_KEY_ID = TEST_ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = TEST_SECRET_ACCESS_KEY;
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
});

let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3.close();
});
const drivers: SinkDriver[] = [];
afterEach(async () => {
  s3.intercept = undefined;
  for (const d of drivers.splice(0)) await d.close?.();
});

// ------------------------------------------------------------------ fixtures

const NAMES = ['Zoë Ångström', '李小龙', 'Amara Okafor', 'O\'Brien "quoted"'];
const T0 = Date.UTC(2026, 0, 1, 0, 10);

function ocsfEvent(i: number, rnd: () => number, o: { account?: string; stream?: string; classUid?: number; time?: number } = {}): PipelineEvent {
  const account = o.account ?? 'acme';
  const stream = o.stream ?? 'audit_log';
  const classUid = o.classUid ?? 6003;
  const time = o.time ?? T0 + i * 1000;
  return {
    meta: { id: `${account}:${stream}:${i}`, account, stream, time, schema: 'ocsf', classUid },
    body: {
      class_uid: classUid,
      class_name: classUid === 3002 ? 'Authentication' : 'API Activity',
      category_uid: Math.floor(classUid / 1000),
      severity_id: Math.floor(rnd() * 6) + 1,
      time,
      message: `event ${i} by ${NAMES[i % NAMES.length]}`,
      metadata: { uid: `${account}:${stream}:${i}`, version: '1.8.0', product: { name: 'Zendesk', vendor_name: 'Zendesk' }, profiles: ['host'] },
      actor: { user: { uid: String(1000 + i), name: NAMES[Math.floor(rnd() * NAMES.length)]!, groups: [{ name: 'admins' }, { name: 'agents', privileges: ['read', 'write'] }] } },
      src_endpoint: { ip: `198.51.100.${Math.floor(rnd() * 255)}`, port: Math.floor(rnd() * 65535), location: { lat: Math.round(rnd() * 1e6) / 1e4, long: i % 2 ? 10 : -3.25 } },
      duration: Math.floor(rnd() * 1e9),
      timezone_offset: Math.floor(rnd() * 600) - 300,
      // open shape (OCSF `object`): one JSON column whatever the values
      unmapped: { value: i % 3 === 0 ? 'text' : i % 3 === 1 ? { nested: [1, 'two', null] } : 42, note: null, empty_list: [], empty_obj: {} },
      ...(i % 4 === 0 ? { observables: [{ name: 'ip', type_id: 2, value: '198.51.100.1' }] } : {}),
    },
  };
}

function makeEvents(n: number, seed: number, o: (i: number) => Parameters<typeof ocsfEvent>[2] = () => ({})): PipelineEvent[] {
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => ocsfEvent(i, rnd, o(i)));
}

function makeDriver(raw: Record<string, unknown>) {
  const options = z.object(s3Sink.options).parse({ bucket: s3.bucket, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, sdkMaxAttempts: 1, ...raw });
  const logs = captureLogs();
  const metrics = createMetrics();
  const env: BuildEnv = { id: 's3', dataDir: '/nonexistent', resolvePath: (p) => p, logger: logs.logger, metrics, secrets: new Secrets(), section: sectionDefault, shared: (_k, make) => make() };
  const driver = s3Sink.create({ ...options, ...commonSinkOptions(s3Sink), id: 's3', type: 's3', inputs: ['x'] } as never, env);
  drivers.push(driver);
  return { driver: sendsPipelineEvents(driver), logs, metrics };
}

const signal = () => AbortSignal.timeout(20_000);

/** JSON values as they should come back: nulls and absent keys are the same, bigints/Dates are numbers. */
function canon(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.getTime();
  if (Array.isArray(v)) return v.map((x) => canon(x) ?? null);
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const c = canon(x);
      if (c !== undefined) out[k] = c;
    }
    return out;
  }
  return v;
}

function ndjsonOf(buf: Buffer, gzip: boolean): unknown[] {
  const text = (gzip ? gunzipSync(buf) : buf).toString('utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown);
}

type Tree = { element: { name: string; converted_type?: string }; children: Tree[] };

/** hyparquet leaves JSON-typed columns as text; parse them by the file's own schema. */
function parseJsonColumns(v: unknown, node: Tree): unknown {
  if (v === null || v === undefined) return v;
  if (node.element.converted_type === 'JSON') return typeof v === 'string' ? JSON.parse(v) : v;
  if (node.element.converted_type === 'LIST') return (v as unknown[]).map((x) => parseJsonColumns(x, node.children[0]!.children[0]!));
  if (node.children.length) {
    const out: Record<string, unknown> = {};
    for (const c of node.children) out[c.element.name] = parseJsonColumns((v as Record<string, unknown>)[c.element.name], c);
    return out;
  }
  return v;
}

async function parquetRows(buf: Buffer): Promise<Record<string, unknown>[]> {
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  const tree = parquetSchema(parquetMetadata(ab)) as unknown as Tree;
  return ((await parquetReadObjects({ file: ab })) as Record<string, unknown>[]).map((r) => parseJsonColumns(r, tree) as Record<string, unknown>);
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const HOST = hostname().replace(/[^A-Za-z0-9._=+-]/g, '_').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ------------------------------------------------------------------ key templates

describe('s3 key template', () => {
  const e = (o: Partial<PipelineEvent['meta']> = {}): PipelineEvent => ({ meta: { id: 'a:s:1', account: 'acme', stream: 'audit_log', time: Date.UTC(2026, 1, 3, 4, 5, 6), schema: 'ocsf', classUid: 3002, ...o }, body: {} });
  const ctx = { prefix: 'zendesk', host: 'h1', timestamp: '20260203T040506Z', uuid: 'U', ext: 'ndjson.gz' };

  it('renders strftime over the event time (UTC) and event/object placeholders', () => {
    const t = compileKeyTemplate('{prefix}/{account}/{stream}/%Y/%m/%d/%H/%M/%S/%j/%y/%%/{class_uid}/{schema}/{host}-{timestamp}-{uuid}.{ext}');
    expect(t.render(t.partitionOf(e()), ctx)).toBe('zendesk/acme/audit_log/2026/02/03/04/05/06/034/26/%/3002/ocsf/h1-20260203T040506Z-U.ndjson.gz');
  });

  it('the default-style template drops an empty prefix without leaving "//" and keeps partitions apart', () => {
    const t = compileKeyTemplate('{prefix}/{account}/{stream}/dt=%Y-%m-%d/hour=%H/{host}-{timestamp}-{uuid}.{ext}');
    expect(t.render(t.partitionOf(e()), { ...ctx, prefix: '' })).toBe('acme/audit_log/dt=2026-02-03/hour=04/h1-20260203T040506Z-U.ndjson.gz');
    expect(t.partitionOf(e())).not.toBe(t.partitionOf(e({ time: Date.UTC(2026, 1, 3, 5) })));
    expect(t.partitionOf(e())).not.toBe(t.partitionOf(e({ account: 'globex' })));
    expect(t.partitionOf(e())).toBe(t.partitionOf(e({ time: Date.UTC(2026, 1, 3, 4, 59, 59) })));
  });

  it('event values cannot inject path segments', () => {
    const t = compileKeyTemplate('{account}/{stream}/{uuid}');
    expect(t.render(t.partitionOf(e({ account: '../../etc', stream: 'a/b c' })), ctx)).toBe('.._.._etc/a_b_c/U');
  });

  it('rejects unknown placeholders and directives, and templates without {uuid}', () => {
    expect(() => compileKeyTemplate('{acount}/{uuid}')).toThrow(/unknown placeholder \{acount\}/);
    expect(() => compileKeyTemplate('%Q/{uuid}')).toThrow(/unsupported strftime directive "%Q"/);
    expect(() => makeDriver({ keyTemplate: '{account}/%Y/{timestamp}.ndjson' })).toThrow(/must contain \{uuid\}/);
  });
});

// ------------------------------------------------------------------ NDJSON

describe('s3 sink: gzip NDJSON', () => {
  for (const checksum of ['WHEN_SUPPORTED', 'WHEN_REQUIRED'] as const) {
    it(`stores one object per partition whose decoded bytes are exactly the events sent (requestChecksumCalculation ${checksum})`, async () => {
      const prefix = `nd-${checksum}`;
      const events = makeEvents(300, 11, (i) => ({ account: i % 2 ? 'acme' : 'globex', stream: i % 3 ? 'audit_log' : 'access_log', time: T0 + i * 30_000 })); // spans 3 hours
      const { driver, metrics } = makeDriver({ prefix, requestChecksumCalculation: checksum });
      expect(await driver.send(events, signal())).toEqual({ kind: 'ok' });
      const keys = await s3.listKeys(prefix + '/');
      const expected = new Map<string, PipelineEvent[]>();
      for (const ev of events) {
        const d = new Date(ev.meta.time);
        const part = `${prefix}/${ev.meta.account}/${ev.meta.stream}/dt=2026-01-01/hour=${String(d.getUTCHours()).padStart(2, '0')}/`;
        expected.set(part, [...(expected.get(part) ?? []), ev]);
      }
      expect(keys).toHaveLength(expected.size);
      let wire = 0;
      for (const key of keys) {
        expect(key).toMatch(new RegExp(`^${prefix}/(acme|globex)/(audit_log|access_log)/dt=2026-01-01/hour=0[0-2]/${HOST}-\\d{8}T\\d{6}Z-${UUID}\\.ndjson\\.gz$`));
        const part = key.slice(0, key.lastIndexOf('/') + 1);
        const obj = await s3.getObject(key);
        wire += obj.body.length;
        expect(obj.contentType).toBe('application/x-ndjson');
        expect(obj.contentEncoding).toBe('gzip');
        const sent = expected.get(part)!;
        expect(obj.metadata['zsf-events']).toBe(String(sent.length));
        expect(ndjsonOf(obj.body, true)).toEqual(sent.map((ev) => ev.body)); // same events, same order, nothing else
      }
      expect(await metric(metrics, 'zsf_sink_bytes_sent_total', { sink: 's3' })).toBe(wire);
      expect(await metric(metrics, 'zsf_sink_bytes_uncompressed_total', { sink: 's3' })).toBe(events.reduce((s, ev) => s + Buffer.byteLength(JSON.stringify(ev.body)) + 1, 0));
    });
  }

  it('control: a streamed PutObject with WHEN_SUPPORTED checksums is stored with aws-chunked framing by s3rver, and the byte comparison catches it', async () => {
    const client = new S3Client({ region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, requestChecksumCalculation: 'WHEN_SUPPORTED' });
    const payload = Buffer.from('{"a":1}\n{"b":2}\n');
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'control/framed.ndjson', Body: Readable.from([payload]), ContentLength: payload.length }));
    client.destroy();
    const stored = (await s3.getObject('control/framed.ndjson')).body;
    expect(stored.equals(payload)).toBe(false);
    expect(stored.toString()).toMatch(/x-amz-checksum-crc32/);
  });

  it('uploads a large object in parts (multipart) and the parts reassemble to exactly what was sent', async () => {
    const rnd = mulberry32(5);
    const events = Array.from({ length: 9000 }, (_, i) => ({ ...ocsfEvent(i, rnd, { time: T0 + i }), body: { ...ocsfEvent(i, rnd).body, padding: 'p'.repeat(600 + (i % 50)) } }));
    const { driver } = makeDriver({ prefix: 'mp', encoding: { codec: 'ndjson', compression: 'none' }, partSize: 5 * 1024 * 1024, queueSize: 2 });
    const before = s3.requests.length;
    expect(await driver.send(events, signal())).toEqual({ kind: 'ok' });
    const reqs = s3.requests.slice(before);
    expect(reqs.filter((r) => r.method === 'POST' && r.url.includes('uploads')).length).toBe(1); // CreateMultipartUpload
    expect(reqs.filter((r) => r.method === 'PUT' && /partNumber=\d+/.test(r.url)).length).toBeGreaterThanOrEqual(2);
    const keys = await s3.listKeys('mp/');
    expect(keys).toHaveLength(1);
    const obj = await s3.getObject(keys[0]!);
    expect(obj.body.length).toBeGreaterThan(5 * 1024 * 1024);
    expect(obj.body.toString('utf8')).toBe(events.map((ev) => JSON.stringify(ev.body) + '\n').join(''));
  });

  it('sends SSE-KMS, storage class, tags and Object Lock retention headers on PutObject', async () => {
    const { driver } = makeDriver({
      prefix: 'lock',
      requestChecksumCalculation: 'WHEN_REQUIRED',
      serverSideEncryption: { type: 'aws:kms', kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/abcd', bucketKeyEnabled: true },
      storageClass: 'STANDARD_IA',
      tags: { team: 'sec ops', retention: '7y' },
      objectLock: { mode: 'COMPLIANCE', days: 30 },
    });
    const before = s3.requests.length;
    const t = Date.now();
    expect(await driver.send(makeEvents(5, 1), signal())).toEqual({ kind: 'ok' });
    const put = s3.requests.slice(before).find((r) => r.method === 'PUT')!;
    expect(put.headers).toMatchObject({
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': 'arn:aws:kms:us-east-1:111122223333:key/abcd',
      'x-amz-server-side-encryption-bucket-key-enabled': 'true',
      'x-amz-storage-class': 'STANDARD_IA',
      'x-amz-tagging': 'team=sec+ops&retention=7y',
      'x-amz-object-lock-mode': 'COMPLIANCE',
    });
    const until = Date.parse(String(put.headers['x-amz-object-lock-retain-until-date']));
    expect(until).toBeGreaterThanOrEqual(t + 30 * 86_400_000 - 1000);
    expect(until).toBeLessThanOrEqual(Date.now() + 30 * 86_400_000 + 1000);
    // S3 requires a checksum (or Content-MD5) on uploads with a retention period, even with WHEN_REQUIRED.
    expect(put.headers['x-amz-checksum-crc32']).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const key = (await s3.listKeys('lock/'))[0]!;
    expect((await s3.getObject(key)).storageClass).toBe('STANDARD_IA');
  });

  it('sends the retention and encryption headers on CreateMultipartUpload for large objects', async () => {
    const rnd = mulberry32(8);
    const events = Array.from({ length: 8000 }, (_, i) => ({ ...ocsfEvent(i, rnd, { time: T0 }), body: { i, padding: 'q'.repeat(800) } }));
    const { driver } = makeDriver({ prefix: 'lockmp', encoding: { codec: 'ndjson', compression: 'none' }, partSize: 5 * 1024 * 1024, serverSideEncryption: { type: 'AES256' }, objectLock: { mode: 'GOVERNANCE', days: 1 } });
    const before = s3.requests.length;
    expect(await driver.send(events, signal())).toEqual({ kind: 'ok' });
    const create = s3.requests.slice(before).find((r) => r.method === 'POST' && r.url.includes('uploads'))!;
    expect(create.headers).toMatchObject({ 'x-amz-server-side-encryption': 'AES256', 'x-amz-object-lock-mode': 'GOVERNANCE' });
    expect(create.headers['x-amz-object-lock-retain-until-date']).toBeDefined();
    const key = (await s3.listKeys('lockmp/'))[0]!;
    expect(ndjsonOf((await s3.getObject(key)).body, false)).toEqual(events.map((ev) => ev.body));
  });
});

// ------------------------------------------------------------------ Parquet

describe('s3 sink: Parquet', () => {
  it('writes one Parquet object per OCSF class in the class schema (nested, typed by OCSF), and reading it back gives the events sent', async () => {
    const events = makeEvents(500, 21, (i) => ({ classUid: i % 5 === 0 ? 3002 : 6003, time: T0 + (500 - i) * 1000 })); // reverse time order
    const { driver } = makeDriver({ prefix: 'pq', encoding: { codec: 'parquet', rowGroupEvents: 128 } });
    expect(await driver.send(events, signal())).toEqual({ kind: 'ok' });
    const keys = await s3.listKeys('pq/');
    expect(keys).toHaveLength(2); // same partition, two classes -> two objects
    const seen: number[] = [];
    for (const key of keys) {
      expect(key).toMatch(new RegExp(`^pq/acme/audit_log/dt=2026-01-01/hour=00/${HOST}-\\d{8}T\\d{6}Z-${UUID}\\.parquet$`));
      const obj = await s3.getObject(key);
      expect(obj.contentType).toBe('application/vnd.apache.parquet');
      const rows = await parquetRows(obj.body);
      const cls = Number(rows[0]!.class_uid);
      const sent = events.filter((e) => e.meta.classUid === cls).sort((a, b) => a.meta.time - b.meta.time);
      expect(rows.map(canon)).toEqual(sent.map((e) => canon(e.body))); // sorted by time, values intact
      seen.push(...sent.map((e) => Number(e.meta.id.split(':')[2])));
      const meta = parquetMetadata(obj.body.buffer.slice(obj.body.byteOffset, obj.body.byteOffset + obj.body.byteLength) as ArrayBuffer);
      const el = (name: string) => meta.schema.find((s) => s.name === name)!;
      expect(el('time')).toMatchObject({ type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' });
      expect(el('duration')).toMatchObject({ type: 'INT64' }); // long_t
      expect(el('timezone_offset')).toMatchObject({ type: 'INT32' }); // integer_t
      expect(el('lat')).toMatchObject({ type: 'DOUBLE' }); // float_t
      expect(el('observables')).toMatchObject({ converted_type: 'LIST' });
      const tree = parquetSchema(meta) as unknown as Tree;
      const node = (...path: string[]) => path.reduce((n, name) => n.children.find((c) => c.element.name === name)!, tree);
      expect(node('actor').children.length).toBeGreaterThan(1); // a group, not a JSON string
      expect(node('actor', 'user', 'name').element).toMatchObject({ type: 'BYTE_ARRAY', converted_type: 'UTF8' });
      expect(node('actor', 'user', 'groups').element).toMatchObject({ converted_type: 'JSON' }); // an object at the depth bound
      expect(node('unmapped').element).toMatchObject({ converted_type: 'JSON' }); // open shape
      expect(meta.created_by).toMatch(/^zendesk-siem-forwarder version \d+\.\d+\.\d+/);
      const kv = Object.fromEntries((meta.key_value_metadata ?? []).map((x) => [x.key, x.value]));
      expect(kv).toMatchObject({ 'zsf.schema.fingerprint': ocsfClassLayout(cls)!.fingerprint, 'ocsf.version': '1.8.0', 'ocsf.class_uid': String(cls), 'zsf.events': String(sent.length) });
      expect(meta.row_groups.length).toBe(Math.ceil(sent.length / 128));
    }
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });

  it('is readable by an independent Parquet implementation (@dsnp/parquetjs)', async () => {
    const events = makeEvents(50, 4, () => ({ classUid: 3002 }));
    const { driver } = makeDriver({ prefix: 'pqx', encoding: { codec: 'parquet', compression: 'gzip' } });
    expect(await driver.send(events, signal())).toEqual({ kind: 'ok' });
    const key = (await s3.listKeys('pqx/'))[0]!;
    const file = join(tempDir('zsf-pq-'), 'x.parquet');
    writeFileSync(file, (await s3.getObject(key)).body);
    const reader = await parquetjs.ParquetReader.openFile(file);
    const cursor = reader.getCursor();
    const got: { metadata: { uid: string }; actor: { user: { name: string } }; time: Date }[] = [];
    for (let r = await cursor.next(); r; r = await cursor.next()) got.push(r as never);
    await reader.close();
    expect(got.map((r) => r.metadata.uid)).toEqual(events.map((e) => e.meta.id));
    expect(got.map((r) => r.actor.user.name)).toEqual(events.map((e) => (e.body.actor as { user: { name: string } }).user.name));
    expect(got.map((r) => r.time.getTime())).toEqual(events.map((e) => e.meta.time));
  });
  it('rejects, with the attribute path, OCSF events that do not fit their class schema, and writes the rest', async () => {
    const events = makeEvents(6, 12, () => ({ classUid: 3002 }));
    events[1]!.body.score = 5; // not an attribute of Authentication
    (events[2]!.body.src_endpoint as Record<string, unknown>).port = 'https'; // port_t is an integer
    events[3]!.body.class_uid = 4001;
    events[3]!.meta.classUid = 4001; // a class the forwarder has no schema for
    (events[4]!.body.metadata as Record<string, unknown>).version = '1.1.0';
    const { driver } = makeDriver({ prefix: 'pqbad', encoding: { codec: 'parquet' } });
    const outcome = await driver.send(events, signal());
    expect(outcome).toEqual({
      kind: 'partial',
      rejected: [
        { index: 1, reason: expect.stringMatching(/^does not fit the Parquet schema of OCSF class 3002: score: not an attribute of OCSF 1\.8\.0 class authentication/) },
        { index: 2, reason: expect.stringMatching(/src_endpoint\.port: expected a 32-bit integer, got string "https"/) },
        { index: 3, reason: expect.stringMatching(/no Parquet schema for OCSF class_uid 4001/) },
        { index: 4, reason: expect.stringMatching(/built for OCSF 1\.8\.0; this event has metadata\.version "1\.1\.0"/) },
      ],
    });
    const keys = await s3.listKeys('pqbad/');
    expect(keys).toHaveLength(1);
    const rows = await parquetRows((await s3.getObject(keys[0]!)).body);
    expect(rows.map((r) => (r.metadata as { uid: string }).uid)).toEqual([events[0]!.meta.id, events[5]!.meta.id]);
  });

  it('gives every object of a class the same schema whatever the events in it (all optional attributes empty, or set)', async () => {
    const full = makeEvents(20, 13, () => ({ classUid: 6003 }));
    const bare = full.map((e) => ({ meta: { ...e.meta, id: `${e.meta.id}-bare` }, body: { class_uid: 6003, category_uid: 6, activity_id: 1, type_uid: 600301, severity_id: 1, time: e.body.time, metadata: { uid: `${e.meta.id}-bare`, version: '1.8.0', product: { name: 'Zendesk' } }, observables: [] } }));
    const { driver } = makeDriver({ prefix: 'pqsame', encoding: { codec: 'parquet' } });
    expect(await driver.send(full, signal())).toEqual({ kind: 'ok' });
    expect(await driver.send(bare, signal())).toEqual({ kind: 'ok' });
    const keys = await s3.listKeys('pqsame/');
    expect(keys).toHaveLength(2);
    const metas = await Promise.all(keys.map(async (k) => {
      const b = (await s3.getObject(k)).body;
      return parquetMetadata(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
    }));
    expect(metas[0]!.schema.length).toBe(ocsfClassLayout(6003)!.elements.length);
    expect(JSON.stringify(metas[0]!.schema)).toBe(JSON.stringify(metas[1]!.schema));
    const fingerprints = metas.map((m) => m.key_value_metadata?.find((x) => x.key === 'zsf.schema.fingerprint')?.value);
    expect(fingerprints).toEqual([ocsfClassLayout(6003)!.fingerprint, ocsfClassLayout(6003)!.fingerprint]);
  });

  it('writes non-OCSF events (ECS) with a schema derived from the object, labelled as such', async () => {
    const events: PipelineEvent[] = Array.from({ length: 5 }, (_, i) => ({ meta: { id: `acme:audit_log:e${i}`, account: 'acme', stream: 'audit_log', time: T0 + i, schema: 'ecs' }, body: { '@timestamp': new Date(T0 + i).toISOString(), event: { id: `e${i}`, kind: 'event' }, user: { name: NAMES[i % NAMES.length] } } }));
    const { driver } = makeDriver({ prefix: 'pqecs', encoding: { codec: 'parquet' } });
    expect(await driver.send(events, signal())).toEqual({ kind: 'ok' });
    const obj = await s3.getObject((await s3.listKeys('pqecs/'))[0]!);
    expect((await parquetRows(obj.body)).map(canon)).toEqual(events.map((e) => canon(e.body)));
    const meta = parquetMetadata(obj.body.buffer.slice(obj.body.byteOffset, obj.body.byteOffset + obj.body.byteLength) as ArrayBuffer);
    expect(meta.key_value_metadata?.find((x) => x.key === 'zsf.schema.source')?.value).toBe('derived from the events in this object');
  });
});

// ------------------------------------------------------------------ Security Lake

describe('s3 sink: Amazon Security Lake preset', () => {
  it('writes OCSF Parquet per class under ext/{source}/region=/accountId=/eventDay=/ and rejects non-OCSF events', async () => {
    const events = makeEvents(40, 9, (i) => ({ classUid: i % 2 ? 3002 : 6003, time: Date.UTC(2026, 0, 1, 23, 59, 40) + (39 - i) * 1000 })); // crosses midnight, newest first
    events.push({ meta: { id: 'acme:audit_log:raw', account: 'acme', stream: 'audit_log', time: T0, schema: 'raw' }, body: { id: 'raw' } });
    const { driver } = makeDriver({ securityLake: { accountId: '123456789012', sourceNames: { '3002': 'zendesk-auth' } } });
    const outcome = await driver.send(events, signal());
    expect(outcome).toEqual({ kind: 'partial', rejected: [{ index: 40, reason: expect.stringContaining('OCSF') }] });
    const keys = await s3.listKeys('ext/');
    const dirs = [...new Set(keys.map((k) => k.slice(0, k.lastIndexOf('/'))))].sort();
    expect(dirs).toEqual([
      'ext/zendesk-6003/region=us-east-1/accountId=123456789012/eventDay=20260101',
      'ext/zendesk-6003/region=us-east-1/accountId=123456789012/eventDay=20260102',
      'ext/zendesk-auth/region=us-east-1/accountId=123456789012/eventDay=20260101',
      'ext/zendesk-auth/region=us-east-1/accountId=123456789012/eventDay=20260102',
    ]);
    let total = 0;
    for (const key of keys) {
      expect(key).toMatch(/\.parquet$/);
      const rows = await parquetRows((await s3.getObject(key)).body);
      const classes = new Set(rows.map((r) => Number(r.class_uid)));
      expect(classes.size).toBe(1); // one OCSF class per object
      expect(key.startsWith(classes.has(3002) ? 'ext/zendesk-auth/' : 'ext/zendesk-6003/')).toBe(true);
      const times = rows.map((r) => (r.time as Date).getTime());
      expect(times).toEqual([...times].sort((a, b) => a - b)); // ordered by time
      const day = key.match(/eventDay=(\d{8})/)![1]!;
      expect(times.every((t) => new Date(t).toISOString().slice(0, 10).replaceAll('-', '') === day)).toBe(true);
      total += rows.length;
    }
    expect(total).toBe(40);
  });

  it('puts the source version in the path when configured, and needs a region', async () => {
    const { driver } = makeDriver({ securityLake: { accountId: '123456789012', sourceName: 'zd-{class_uid}', sourceVersion: '2.0' } });
    expect(await driver.send(makeEvents(3, 2, () => ({ classUid: 3002 })), signal())).toEqual({ kind: 'ok' });
    expect((await s3.listKeys('ext/zd-3002/'))[0]).toMatch(/^ext\/zd-3002\/2\.0\/region=us-east-1\/accountId=123456789012\/eventDay=20260101\/.+\.parquet$/);
    expect(() => makeDriver({ region: undefined, securityLake: { accountId: '123456789012' } })).toThrow(/needs "region"/);
  });

  it('checks custom source names and versions the way Security Lake does, at config time', () => {
    const parse = (securityLake: Record<string, unknown>) => z.object(s3Sink.options).safeParse({ bucket: 'archive', region: 'us-east-1', securityLake: { accountId: '123456789012', ...securityLake } });
    const messages = (securityLake: Record<string, unknown>) => {
      const r = parse(securityLake);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(messages({ sourceNames: { '3002': 'zendesk-authentication' } })).toEqual([expect.stringMatching(/^securityLake\.sourceNames\.3002: .*at most 20 characters/)]);
    expect(messages({ sourceName: 'zendesk-event-log-{class_uid}' })).toEqual([expect.stringMatching(/^securityLake\.sourceName: "zendesk-event-log-\{class_uid\}" gives "zendesk-event-log-3001" for class 3001: .*at most 20/)]);
    expect(messages({ sourceNames: { '3002': 'zendesk auth' } })).toEqual([expect.stringMatching(/only letters, digits/)]);
    expect(messages({ sourceVersion: '1.0/beta' })).toEqual([expect.stringMatching(/^securityLake\.sourceVersion: .*only letters, digits/)]);
    expect(messages({ sourceVersion: 'v'.repeat(33) })).toHaveLength(1);
    // exactly 20 is allowed; a long template is fine when every class has an explicit name
    expect(messages({ sourceNames: { '3002': 'zendesk-authenticati' } })).toEqual([]);
    const all = Object.fromEntries(['3001', '3002', '3004', '3005', '3006', '6001', '6003', '6004'].map((u) => [u, `zd-${u}`]));
    expect(messages({ sourceName: 'zendesk-event-log-{class_uid}', sourceNames: all })).toEqual([]);
  });
});

// ------------------------------------------------------------------ failures

describe('s3 sink: failures', () => {
  it('an unknown access key is an auth failure', async () => {
    const prev = process.env.AWS_ACCESS_KEY_ID;
    process.env.AWS_ACCESS_KEY_ID = 'AKIAUNKNOWNKEY000000';
    try {
      const { driver } = makeDriver({ prefix: 'auth' });
      const outcome = await driver.send(makeEvents(2, 1), signal());
      expect(outcome).toMatchObject({ kind: 'auth', reason: expect.stringMatching(/InvalidAccessKeyId|403/) });
    } finally {
      process.env.AWS_ACCESS_KEY_ID = prev;
    }
  });

  it('503 SlowDown is a retry honouring Retry-After; a missing bucket is a retry; a 400 is permanent', async () => {
    const { driver } = makeDriver({ prefix: 'cls' });
    s3.intercept = () => ({ status: 503, code: 'SlowDown', retryAfter: '4' });
    expect(await driver.send(makeEvents(2, 1), signal())).toMatchObject({ kind: 'retry', retryAfterMs: 4000, reason: expect.stringContaining('SlowDown') });
    s3.intercept = () => ({ status: 400, code: 'InvalidRequest' });
    expect(await driver.send(makeEvents(2, 1), signal())).toMatchObject({ kind: 'permanent', reason: expect.stringContaining('InvalidRequest') });
    s3.intercept = undefined;
    const { driver: other } = makeDriver({ bucket: 'no-such-bucket', prefix: 'cls' });
    expect(await other.send(makeEvents(2, 1), signal())).toMatchObject({ kind: 'retry', reason: expect.stringContaining('NoSuchBucket') });
    expect(await metric((makeDriver({}).metrics), 'zsf_sink_bytes_sent_total', { sink: 's3' })).toBe(0);
  });

  it('a 301 PermanentRedirect (bucket in another region) follows the redirect rule of every sink: retried, data kept', async () => {
    const { driver } = makeDriver({ prefix: 'cls' });
    s3.intercept = () => ({ status: 301, code: 'PermanentRedirect' });
    expect(await driver.send(makeEvents(2, 1), signal())).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/PermanentRedirect.*redirected: fix the endpoint/) });
    s3.intercept = undefined;
  });

  it('a retried batch does not store again the partitions an earlier attempt already stored', async () => {
    const events = makeEvents(20, 3, (i) => ({ account: i < 10 ? 'acme' : 'globex' }));
    const { driver } = makeDriver({ prefix: 'memo' });
    s3.intercept = (r) => (r.method === 'PUT' && r.url.includes('/memo/globex/') ? { status: 500, code: 'InternalError' } : undefined);
    expect((await driver.send(events, signal())).kind).toBe('retry');
    expect(await s3.listKeys('memo/')).toHaveLength(1); // acme stored, globex failed
    s3.intercept = undefined;
    expect(await driver.send(events, signal())).toEqual({ kind: 'ok' });
    const keys = await s3.listKeys('memo/');
    expect(keys).toHaveLength(2);
    const ids = (await Promise.all(keys.map(async (k) => ndjsonOf((await s3.getObject(k)).body, true)))).flat().map((b) => (b as { metadata: { uid: string } }).metadata.uid);
    expect(ids.sort()).toEqual(events.map((e) => e.meta.id).sort()); // no duplicates
  });

  it('a dead S3 server is a retry, the healthcheck fails, and the secret key appears in no log line or reason', async () => {
    const { driver, logs } = makeDriver({ prefix: 'down' });
    await s3.stopBackend();
    try {
      const outcome = await driver.send(makeEvents(2, 1), signal());
      expect(outcome.kind).toBe('retry');
      expect(JSON.stringify(outcome)).not.toContain(TEST_SECRET_ACCESS_KEY);
      await expect(driver.healthcheck!(signal())).rejects.toThrow();
    } finally {
      await s3.startBackend();
    }
    expect(await driver.send(makeEvents(2, 1), signal())).toEqual({ kind: 'ok' });
    expect(logs.lines.length).toBeGreaterThan(0);
    expect(logs.lines.join('\n')).not.toContain(TEST_SECRET_ACCESS_KEY);
    // The signature is derived from the secret, but the secret itself never goes over the wire.
    expect(s3.requests.every((r) => !JSON.stringify(r.headers).includes(TEST_SECRET_ACCESS_KEY))).toBe(true);
  });
});

describe('s3 examples', () => {
  const env = { S3_BUCKET: 'my-archive', SECURITY_LAKE_BUCKET: 'aws-security-data-lake-us-east-1-abc', AWS_ACCOUNT_ID: '123456789012', ZENDESK_EMAIL: 'a@example.com', ZENDESK_API_TOKEN: 'zd-token-1234' };
  for (const [file, template] of [
    ['s3.yaml', /^zendesk\/acme\/audit_log\/dt=2026-01-01\/hour=00\/h-T-U\.ndjson\.gz$/],
    ['security-lake.yaml', /^ext\/zendesk-auth\/region=us-east-1\/accountId=123456789012\/eventDay=20260101\/h-T-U\.parquet$/],
  ] as const) {
    it(`examples/${file} validates and builds a sink with the documented layout`, () => {
      const loaded = loadConfigFile(new URL(`../../examples/${file}`, import.meta.url).pathname, env);
      const sinkConfig = loaded.config.sinks.find((s) => s.type === 's3') as unknown as S3Config;
      const plan = planFor(sinkConfig);
      const e = ocsfEvent(1, mulberry32(1), { classUid: 3002, time: T0 });
      const key = plan.template.render(plan.template.partitionOf(e, { source_name: 'zendesk-auth' }), { prefix: sinkConfig.prefix, host: 'h', timestamp: 'T', uuid: 'U', ext: plan.ext, region: 'us-east-1', accountId: '123456789012' });
      expect(key).toMatch(template);
    });
  }
});
