// S3 sink (`type: s3`): each core batch becomes one object per partition of the key template
// (so the batch limits are the object roll limits: max events, max bytes, max age = maxWait),
// as gzip NDJSON or Parquet, optionally in the Amazon Security Lake custom-source layout.
// `send` resolves `ok` only after S3 has confirmed every object of the batch.

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { defineSink } from '../../core/plugin.js';
import type { SinkEvent, SendOutcome } from '../../core/types.js';
import { s3Options, type S3Config } from './config.js';
import { compileKeyTemplate, type KeyTemplate } from './key-template.js';
import { ByteCounter, ndjsonStream, type EncodedStream } from './ndjson.js';
import { deriveLayout, parquetStream, ZSTD_AVAILABLE, type ParquetCompression } from './parquet.js';
import { OCSF_SCHEMA_VERSION, ocsfClassLayout, SchemaMismatch, servesOcsfVersion } from './ocsf-schema.js';
import { classifyS3Error, createS3Client, headBucket, uploadObject } from './upload.js';

export const DEFAULT_KEY_TEMPLATE = '{prefix}/{account}/{stream}/dt=%Y-%m-%d/hour=%H/{host}-{timestamp}-{uuid}.{ext}';
export const SECURITY_LAKE_KEY_TEMPLATE = 'ext/{source_name}/region={region}/accountId={accountId}/eventDay=%Y%m%d/{host}-{timestamp}-{uuid}.{ext}';
const SECURITY_LAKE_VERSIONED_KEY_TEMPLATE = 'ext/{source_name}/{source_version}/region={region}/accountId={accountId}/eventDay=%Y%m%d/{host}-{timestamp}-{uuid}.{ext}';

/** Memory of objects already stored for a batch the core is retrying (bounded). */
const MEMO_LIMIT = 2048;

interface Plan {
  template: KeyTemplate;
  parquet: { compression: ParquetCompression; rowGroupEvents: number } | undefined;
  ndjson: { compression: 'gzip' | 'none'; level: number } | undefined;
  ext: string;
  securityLake: S3Config['securityLake'];
}

export function planFor(config: S3Config): Plan {
  const sl = config.securityLake;
  if (config.encoding.codec === 'parquet' && config.encoding.compression === 'zstd' && !ZSTD_AVAILABLE) {
    throw new Error(`sink ${config.id}: Parquet zstd compression needs Node.js >= 22.15 (node:zlib zstd); this is ${process.version}. Use snappy or gzip`);
  }
  if (sl) {
    if (!config.region) throw new Error(`sink ${config.id}: securityLake needs "region" (it is part of the Security Lake path)`);
    if (config.keyTemplate) throw new Error(`sink ${config.id}: keyTemplate cannot be combined with securityLake (the layout is fixed)`);
    const parquet = config.encoding.codec === 'parquet' ? config.encoding : { compression: 'snappy' as const, rowGroupEvents: 10_000 };
    return {
      template: compileKeyTemplate(sl.sourceVersion ? SECURITY_LAKE_VERSIONED_KEY_TEMPLATE : SECURITY_LAKE_KEY_TEMPLATE),
      parquet: { compression: parquet.compression, rowGroupEvents: parquet.rowGroupEvents },
      ndjson: undefined,
      ext: 'parquet',
      securityLake: sl,
    };
  }
  const template = compileKeyTemplate(config.keyTemplate ?? DEFAULT_KEY_TEMPLATE);
  if (!template.uses('uuid')) throw new Error(`sink ${config.id}: keyTemplate must contain {uuid}, or objects would overwrite each other`);
  if (config.encoding.codec === 'parquet') {
    return { template, parquet: { compression: config.encoding.compression, rowGroupEvents: config.encoding.rowGroupEvents }, ndjson: undefined, ext: 'parquet', securityLake: undefined };
  }
  const nd = config.encoding;
  return { template, parquet: undefined, ndjson: { compression: nd.compression, level: nd.level }, ext: nd.compression === 'gzip' ? 'ndjson.gz' : 'ndjson', securityLake: undefined };
}

function classUidOf(e: SinkEvent): number | undefined {
  if (e.meta.classUid !== undefined) return e.meta.classUid;
  return typeof e.body.class_uid === 'number' ? e.body.class_uid : undefined;
}

/** Sorts a group's events (and their rows, in step) by event time. */
function sortByTime(g: { events: SinkEvent[]; rows: unknown[][] | undefined }): void {
  const order = g.events.map((_, i) => i).sort((a, b) => g.events[a]!.meta.time - g.events[b]!.meta.time);
  g.events = order.map((i) => g.events[i]!);
  if (g.rows) g.rows = order.map((i) => g.rows![i]!);
}

/** `20260101T000000Z`: sorts like time, safe in keys. */
function compactTime(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

export const s3Sink = defineSink({
  type: 's3',
  description: 'Archive events to S3 (or an S3-compatible store) as gzip NDJSON or Parquet objects; Amazon Security Lake preset',
  options: s3Options,
  // One batch = one object per partition: these are the object roll limits. They fit the
  // default memory buffer (10k events / 64 MiB); with a disk buffer, raise them for larger objects.
  defaults: { maxEvents: 10_000, maxBytes: 32 * 1024 * 1024, maxWaitMs: 300_000, concurrency: 2, requestTimeoutMs: 300_000 },
  create(config, env) {
    const plan = planFor(config);
    const client = createS3Client(config);
    const labels = { sink: config.id };
    const host = hostname();
    const stored = new Set<string>();
    const log = env.logger;

    const sourceNameOf = (e: SinkEvent): string | undefined => {
      const sl = plan.securityLake;
      if (!sl) return undefined;
      const uid = classUidOf(e);
      if (uid === undefined) return undefined;
      return sl.sourceNames[String(uid)] ?? sl.sourceName.replaceAll('{class_uid}', String(uid));
    };

    function encode(events: SinkEvent[], rows: unknown[][] | undefined): EncodedStream & { contentType: string; contentEncoding?: string } {
      if (plan.parquet) {
        const raw = new ByteCounter();
        const first = events[0]!;
        // OCSF: the class's fixed schema (rows were conformed to it when grouped); others: derived.
        const layout = rows ? ocsfClassLayout(classUidOf(first)!)! : deriveLayout(events);
        const body = parquetStream(rows ?? events.map((e) => layout.row(e.body)), layout, { ...plan.parquet, kvMetadata: { 'zsf.events': String(events.length) } }).pipe(raw);
        return { body, raw, wire: raw, contentType: 'application/vnd.apache.parquet' };
      }
      const s = ndjsonStream(events, plan.ndjson!);
      return { ...s, contentType: 'application/x-ndjson', ...(plan.ndjson!.compression === 'gzip' ? { contentEncoding: 'gzip' } : {}) };
    }

    /** The row of an OCSF event in its class's fixed Parquet schema, or why it cannot have one. */
    function ocsfRow(e: SinkEvent): { row: unknown[] } | { reason: string } {
      const uid = classUidOf(e);
      const layout = uid === undefined ? undefined : ocsfClassLayout(uid);
      if (!layout) return { reason: `no Parquet schema for OCSF class_uid ${uid ?? '(none)'}: the sink writes the classes of OCSF ${OCSF_SCHEMA_VERSION} that the forwarder maps to` };
      const version = (e.body.metadata as { version?: unknown } | undefined)?.version;
      if (!servesOcsfVersion(version)) return { reason: `Parquet schemas are built for OCSF ${OCSF_SCHEMA_VERSION}; this event has metadata.version ${JSON.stringify(version)}` };
      try {
        return { row: layout.row(e.body) };
      } catch (err) {
        if (err instanceof SchemaMismatch) return { reason: `does not fit the Parquet schema of OCSF class ${uid}: ${err.message}` };
        throw err;
      }
    }

    return {
      async healthcheck(signal) {
        await headBucket(client, config.bucket, signal);
      },

      async send(events, signal) {
        const rejected: { index: number; reason: string }[] = [];
        const groups = new Map<string, { events: SinkEvent[]; rows: unknown[][] | undefined }>();
        events.forEach((e, index) => {
          let extra: { source_name?: string } | undefined;
          let split = '';
          if (plan.securityLake) {
            const name = sourceNameOf(e);
            if (e.meta.schema !== 'ocsf' || !name) {
              rejected.push({ index, reason: 'Security Lake accepts only OCSF events with a class_uid' });
              return;
            }
            extra = { source_name: name };
          }
          // One Parquet schema per object: never mix classes or schemas in one object.
          let row: unknown[] | undefined;
          if (plan.parquet) {
            split = `\u0001${e.meta.schema}:${classUidOf(e) ?? ''}`;
            if (e.meta.schema === 'ocsf') {
              const r = ocsfRow(e);
              if ('reason' in r) {
                rejected.push({ index, reason: r.reason });
                return;
              }
              row = r.row;
            }
          }
          const key = plan.template.partitionOf(e, extra) + split;
          let g = groups.get(key);
          if (!g) groups.set(key, (g = { events: [], rows: row ? [] : undefined }));
          g.events.push(e);
          if (row) g.rows!.push(row);
        });

        for (const [key, g] of groups) {
          if (plan.parquet) sortByTime(g); // Security Lake: records ordered by time
          const group = g.events;
          const memo = `${key}|${group.length}|${group[0]!.meta.id}|${group[group.length - 1]!.meta.id}`;
          if (stored.has(memo)) continue; // stored by an earlier attempt of this batch
          const now = Date.now();
          const partition = key.split('\u0001')[0]!;
          const objectKey = plan.template.render(partition, {
            prefix: config.prefix,
            host,
            timestamp: compactTime(now),
            uuid: randomUUID(),
            ext: plan.ext,
            ...(config.region ? { region: config.region } : {}),
            ...(plan.securityLake ? { accountId: plan.securityLake.accountId } : {}),
            ...(plan.securityLake?.sourceVersion ? { source_version: plan.securityLake.sourceVersion } : {}),
          });
          const times = group.map((e) => e.meta.time);
          const enc = encode(group, g.rows);
          try {
            await uploadObject(
              client,
              config,
              {
                key: objectKey,
                body: enc.body,
                contentType: enc.contentType,
                ...(enc.contentEncoding ? { contentEncoding: enc.contentEncoding } : {}),
                metadata: {
                  'zsf-events': String(group.length),
                  'zsf-first-event-time': new Date(Math.min(...times)).toISOString(),
                  'zsf-last-event-time': new Date(Math.max(...times)).toISOString(),
                },
                now,
              },
              signal,
            );
          } catch (err) {
            if (signal.aborted) throw err;
            const outcome: SendOutcome = classifyS3Error(err, Date.now());
            log.debug({ key: objectKey, reason: 'reason' in outcome ? outcome.reason : '' }, 'S3 upload failed');
            return outcome;
          }
          env.metrics.sinkBytesSent.inc(labels, enc.wire.bytes);
          env.metrics.sinkBytesUncompressed.inc(labels, enc.raw.bytes);
          stored.add(memo);
          if (stored.size > MEMO_LIMIT) stored.delete(stored.values().next().value!);
          log.debug({ key: objectKey, events: group.length, bytes: enc.wire.bytes }, 'S3 object stored');
        }
        for (const [key, { events: group }] of groups) stored.delete(`${key}|${group.length}|${group[0]!.meta.id}|${group[group.length - 1]!.meta.id}`);
        return rejected.length ? { kind: 'partial', rejected } : { kind: 'ok' };
      },

      async close() {
        client.destroy();
      },
    };
  },
});
