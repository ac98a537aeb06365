// One S3 sink delivery: the batch's events grouped by partition of the key template, each
// group encoded (gzip NDJSON around the events' JSON text, or Parquet) and uploaded as one
// object; `ok` only after S3 has confirmed every object. Loaded on first use (index.ts).

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { BuildEnv } from '../../core/plugin.js';
import type { SendOutcome, SinkDriver, SinkEvent } from '../../core/types.js';
import type { S3Config } from './config.js';
import type { Plan } from './index.js';
import { ByteCounter, ndjsonStream, type EncodedStream } from './ndjson.js';
import { deriveLayout, parquetStream } from './parquet.js';
import { OCSF_SCHEMA_VERSION, ocsfClassLayout, SchemaMismatch, servesOcsfVersion } from './ocsf-schema.js';
import { classifyS3Error, createS3Client, headBucket, uploadObject } from './upload.js';

/** Memory of objects already stored for a batch the core is retrying (bounded). */
const MEMO_LIMIT = 2048;

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

export function createS3Driver(config: S3Config, env: BuildEnv, plan: Plan): SinkDriver {
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
}
