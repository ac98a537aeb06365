// The S3 sink's Parquet, read back by an independent engine (DuckDB) the way a data lake reads
// it: every object of a class prefix as ONE table, without union_by_name. Events are real
// mapper output (the seeded Zendesk corpus through the ocsf transform), spread over several
// days with a different mix each day, plus days whose events carry no optional attribute at all
// (empty lists, no unmapped, no enrichments), sent in several batches so each class has many
// objects. Written through the real S3 server of the sink tests, downloaded to a temp dir.

import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { generate, OUTPUT, REFERENCE } from '../../scripts/gen-ocsf-parquet-schema.js';
import { sectionDefault, type BuildEnv } from '../../src/core/plugin.js';
import type { PipelineEvent, SinkDriver } from '../../src/core/types.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { Secrets } from '../../src/observability/secrets.js';
import { s3Sink } from '../../src/sinks/s3/index.js';
import { OCSF_PARQUET_DEPTH, ocsfClassLayout } from '../../src/sinks/s3/ocsf-schema.js';
import { ZSTD_AVAILABLE } from '../../src/sinks/s3/zstd.js';
import { makeTransform, run } from '../transforms/helpers.js';
import { mulberry32 } from '../support/random.js';
import { tempDir } from '../support/temp-dir.js';
import { startS3Server, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, type S3TestServer } from '../support/s3-server.js';
import { zendeskCorpus } from '../support/zendesk-corpus.js';
import { commonSinkOptions } from '../support/sink-options.js';
import { sendsPipelineEvents, type PipelineEventDriver } from '../support/sink-events.js';

let s3: S3TestServer;
let db: DuckDBInstance;
let sql: DuckDBConnection;
const drivers: SinkDriver[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = TEST_ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = TEST_SECRET_ACCESS_KEY;
  s3 = await startS3Server();
  db = await DuckDBInstance.create(':memory:');
  sql = await db.connect();
});
afterAll(async () => {
  for (const d of drivers) await d.close?.();
  sql.closeSync();
  db.closeSync();
  await s3.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

type Json = Record<string, unknown>;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 2, 1, 6);

let mapped: PipelineEvent[] | undefined;
/** The seeded corpus through the real OCSF mapper (every class the forwarder emits). */
async function corpusEvents(): Promise<PipelineEvent[]> {
  if (mapped) return mapped;
  const t = makeTransform('ocsf');
  const out: PipelineEvent[] = [];
  for (const rec of zendeskCorpus(42)) out.push(...(await run(t, rec)));
  mapped = out;
  return out;
}

/** `e` moved to `time` (meta and body agree), with a unique id. */
function at(e: PipelineEvent, time: number, tag: string): PipelineEvent {
  const id = `${e.meta.id}#${tag}`;
  const metadata = { ...(e.body.metadata as Json), uid: id };
  return { meta: { ...e.meta, id, time }, body: { ...e.body, time, metadata } };
}

/** Only what every class requires: no optional attribute has a value (lists empty, objects absent). */
function bare(e: PipelineEvent): PipelineEvent {
  const b = e.body;
  const metadata = b.metadata as Json;
  return {
    meta: e.meta,
    body: {
      activity_id: b.activity_id,
      category_uid: b.category_uid,
      class_uid: b.class_uid,
      severity_id: b.severity_id,
      time: b.time,
      type_uid: b.type_uid,
      metadata: { product: metadata.product, version: metadata.version, uid: metadata.uid, labels: [] },
      observables: [],
      enrichments: [],
    },
  };
}

interface Sent {
  byClass: Map<number, PipelineEvent[]>;
}

/**
 * Five days: day 0 full mix, day 1 only bare events, day 2 only two classes, day 3 full mix
 * again (another sample), day 4 half bare, half full. Each day goes out in 3 batches (several objects
 * per class and day).
 */
async function sendDays(driver: PipelineEventDriver<SinkDriver>, seed: number): Promise<Sent> {
  const all = await corpusEvents();
  const rnd = mulberry32(seed);
  const pick = (n: number, filter: (e: PipelineEvent) => boolean = () => true) => {
    const pool = all.filter(filter);
    return Array.from({ length: n }, () => pool[Math.floor(rnd() * pool.length)]!);
  };
  const days: PipelineEvent[][] = [
    pick(500),
    pick(200).map(bare),
    pick(200, (e) => e.meta.classUid === 3002 || e.meta.classUid === 6003),
    pick(500),
    [...pick(100).map(bare), ...pick(100)],
  ];
  const byClass = new Map<number, PipelineEvent[]>();
  for (const [d, events] of days.entries()) {
    const placed = events.map((e, i) => at(e, T0 + d * DAY + i * 1000, `${seed}-${d}-${i}`));
    for (const e of placed) byClass.set(e.meta.classUid!, [...(byClass.get(e.meta.classUid!) ?? []), e]);
    const third = Math.ceil(placed.length / 3);
    for (let b = 0; b < 3; b++) {
      const outcome = await driver.send(placed.slice(b * third, (b + 1) * third), AbortSignal.timeout(60_000));
      expect(outcome).toEqual({ kind: 'ok' });
    }
  }
  return { byClass };
}

function makeDriver(raw: Json): PipelineEventDriver<SinkDriver> {
  const options = z.object(s3Sink.options).parse({ bucket: s3.bucket, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, sdkMaxAttempts: 1, ...raw });
  const env: BuildEnv = { id: 's3', dataDir: '/nonexistent', resolvePath: (p) => p, logger: pino({ level: 'silent' }), metrics: createMetrics(), secrets: new Secrets(), section: sectionDefault, shared: (_k, make) => make() };
  const driver = s3Sink.create({ ...options, ...commonSinkOptions(s3Sink), id: 's3', type: 's3', inputs: ['x'] } as never, env);
  drivers.push(driver);
  return sendsPipelineEvents(driver);
}

/** Every object under `prefix`, downloaded to a temp dir with the same key layout. */
async function download(prefix: string): Promise<string> {
  const dir = tempDir('zsf-duck-');
  dirs.push(dir);
  for (const key of await s3.listKeys(prefix)) {
    const file = join(dir, key);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, (await s3.getObject(key)).body);
  }
  return dir;
}

async function rows(query: string): Promise<Record<string, unknown>[]> {
  return (await sql.runAndReadAll(query)).getRowObjectsJS() as Record<string, unknown>[];
}

const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** What DuckDB must find for one class: one table, every row, stable schema, values intact. */
async function checkClass(glob: string, sent: PipelineEvent[], classUid: number): Promise<number> {
  const files = (await rows(`SELECT file FROM glob(${lit(glob)}) ORDER BY file`)).map((r) => String(r.file));
  expect(files.length).toBeGreaterThan(0);

  // Every object has the same schema: DuckDB's own view of each file, column by column.
  const schemaOf = async (f: string) => JSON.stringify(await rows(`SELECT name, type, converted_type, repetition_type, num_children FROM parquet_schema(${lit(f)})`), (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
  const first = await schemaOf(files[0]!);
  for (const f of files.slice(1)) expect(await schemaOf(f), `${f} differs in schema from ${files[0]}`).toBe(first);

  // … and the same fingerprint in its key/value metadata, the one of the class layout.
  const kv = await rows(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata(${lit(glob)}) WHERE decode(key) = 'zsf.schema.fingerprint'`);
  expect(kv).toHaveLength(files.length);
  expect(new Set(kv.map((r) => r.v))).toEqual(new Set([ocsfClassLayout(classUid)!.fingerprint]));
  const createdBy = await rows(`SELECT DISTINCT created_by FROM parquet_file_metadata(${lit(glob)})`);
  expect(createdBy.map((r) => r.created_by)).toEqual([expect.stringMatching(/^zendesk-siem-forwarder version \d+\.\d+\.\d+/)]);

  // One table over all objects, without union_by_name: no cast or binder error, every row.
  const [count] = await rows(`SELECT count(*)::INTEGER AS n, count(DISTINCT class_uid)::INTEGER AS classes FROM read_parquet(${lit(glob)})`);
  expect(count).toEqual({ n: sent.length, classes: 1 });

  // Nested paths resolve, and the values are the ones sent (uid -> actor name, time, unmapped, enrichments).
  const got = await rows(
    `SELECT metadata.uid AS uid, actor.user.name AS actor_name, epoch_ms(time)::BIGINT AS t, unmapped, enrichments, src_endpoint.ip AS ip FROM read_parquet(${lit(glob)})`,
  );
  const byUid = new Map(got.map((r) => [String(r.uid), r]));
  expect(byUid.size).toBe(sent.length);
  for (const e of sent) {
    const r = byUid.get(e.meta.id)!;
    const b = e.body as { actor?: { user?: { name?: string } }; unmapped?: unknown; enrichments?: { data?: unknown; name?: string }[]; src_endpoint?: { ip?: string } };
    expect(r, e.meta.id).toBeDefined();
    expect(r.actor_name ?? undefined).toBe(b.actor?.user?.name);
    expect(Number(r.t)).toBe(e.meta.time);
    expect(r.ip ?? undefined).toBe(b.src_endpoint?.ip);
    expect(r.unmapped === null ? undefined : JSON.parse(String(r.unmapped))).toEqual(b.unmapped);
    const enr = (r.enrichments as { data: string | null; name: string }[] | null) ?? [];
    expect(enr.map((x) => ({ name: x.name, data: x.data === null ? undefined : JSON.parse(x.data) }))).toEqual((b.enrichments ?? []).map((x) => ({ name: x.name, data: x.data })));
  }
  return files.length;
}

/** Checks every class; most classes must have several objects, or the schema comparison proves little. */
async function checkAll(globs: [number, string][], sent: Sent): Promise<void> {
  const objects: number[] = [];
  for (const [uid, glob] of globs) objects.push(await checkClass(glob, sent.byClass.get(uid)!, uid));
  expect(objects.filter((n) => n >= 5).length).toBeGreaterThanOrEqual(4);
}

function classGlobs(dir: string, sent: Sent, prefixOf: (uid: number) => string): [number, string][] {
  return [...sent.byClass.keys()].sort().map((uid) => [uid, join(dir, prefixOf(uid), '**', '*.parquet')]);
}

describe('Parquet read back by DuckDB: one table per OCSF class', () => {
  for (const compression of ['snappy', 'gzip'] as const) {
    it(`${compression}: every class prefix reads as one table with every row, one schema and one fingerprint`, async () => {
      const prefix = `duck-${compression}`;
      const driver = makeDriver({ prefix, keyTemplate: '{prefix}/class={class_uid}/dt=%Y-%m-%d/{uuid}.{ext}', encoding: { codec: 'parquet', compression, rowGroupEvents: 100 } });
      const sent = await sendDays(driver, compression === 'snappy' ? 1 : 2);
      expect(sent.byClass.size).toBeGreaterThanOrEqual(5);
      const dir = await download(`${prefix}/`);
      await checkAll(classGlobs(dir, sent, (u) => `${prefix}/class=${u}`), sent);
    }, 180_000);
  }

  it('Security Lake layout: every ext/<source>/ prefix reads as one table, across eventDay partitions', async () => {
    const driver = makeDriver({ securityLake: { accountId: '123456789012', sourceNames: { '3002': 'zendesk-auth' } } });
    const sent = await sendDays(driver, 3);
    const dir = await download('ext/');
    const source = (uid: number) => `ext/${uid === 3002 ? 'zendesk-auth' : `zendesk-${uid}`}`;
    await checkAll(classGlobs(dir, sent, source), sent);
    // Hive partitions come out as columns, one per day sent.
    const days = await rows(`SELECT DISTINCT eventDay::VARCHAR AS d FROM read_parquet(${lit(join(dir, 'ext/zendesk-6003/**/*.parquet'))}, hive_partitioning = true) ORDER BY d`);
    expect(days.map((r) => r.d)).toEqual(['20260301', '20260302', '20260303', '20260304', '20260305']);
  }, 180_000);

  it(`zstd: ${ZSTD_AVAILABLE ? 'written and read back' : `refused with a clear error on Node ${process.version} (node:zlib has no zstd before 22.15)`}`, async () => {
    if (!ZSTD_AVAILABLE) {
      expect(() => makeDriver({ prefix: 'zstd', encoding: { codec: 'parquet', compression: 'zstd' } })).toThrow(/zstd compression needs Node.js >= 22.15/);
      return;
    }
    const driver = makeDriver({ prefix: 'zstd', keyTemplate: '{prefix}/class={class_uid}/{uuid}.{ext}', encoding: { codec: 'parquet', compression: 'zstd' } });
    const sent = await sendDays(driver, 4);
    const dir = await download('zstd/');
    await checkAll(classGlobs(dir, sent, (u) => `zstd/class=${u}`), sent);
    const codecs = await rows(`SELECT DISTINCT compression FROM parquet_metadata(${lit(join(dir, 'zstd/**/*.parquet'))})`);
    expect(codecs.map((r) => r.compression)).toEqual(['ZSTD']);
  }, 180_000);

  it('a class with attributes the mappers never fill still gets its full column set (depth-bounded), and DuckDB sees struct paths and JSON columns', async () => {
    const layout = ocsfClassLayout(3002)!;
    const driver = makeDriver({ prefix: 'shape', keyTemplate: '{prefix}/class={class_uid}/{uuid}.{ext}', encoding: { codec: 'parquet' } });
    const e = (await corpusEvents()).find((x) => x.meta.classUid === 3002)!;
    expect(await driver.send([bare(e)], AbortSignal.timeout(30_000))).toEqual({ kind: 'ok' });
    const dir = await download('shape/');
    const glob = join(dir, 'shape/class=3002/*.parquet');
    const cols = await rows(`DESCRIBE SELECT * FROM read_parquet(${lit(glob)}, hive_partitioning = false)`);
    const type = (name: string) => String(cols.find((c) => c.column_name === name)?.column_type);
    expect(cols.map((c) => c.column_name)).toEqual(layout.columns);
    expect(type('time')).toMatch(/^TIMESTAMP/);
    expect(type('unmapped')).toBe('JSON');
    expect(type('actor')).toMatch(/"user" STRUCT\([^)]*"name" VARCHAR/);
    expect(type('enrichments')).toMatch(/^STRUCT\(.*"data" JSON.*\)\[\]$/);
    // Depth bound: actor.user is a struct (level 2), actor.user.groups (an object at level 3) is JSON text.
    expect(OCSF_PARQUET_DEPTH).toBe(3);
    expect(type('actor')).toMatch(/"user" STRUCT\([^)]*"groups" JSON/);
  }, 60_000);
});

describe('generated OCSF Parquet definitions', () => {
  it(`${OUTPUT} is what the generator makes from ${REFERENCE} (regenerate: npx tsx scripts/gen-ocsf-parquet-schema.ts)`, () => {
    expect(readFileSync(OUTPUT, 'utf8') === generate(readFileSync(REFERENCE, 'utf8'))).toBe(true);
  });
});
