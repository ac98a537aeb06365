// One S3 delivery attempt: each core batch becomes one object per partition of the key
// template (so the batch limits are the object roll limits: max events, max bytes, max age =
// maxWait), as gzip NDJSON or Parquet, optionally in the Amazon Security Lake custom-source
// layout. `send` resolves `ok` only after S3 has confirmed every object of the batch; errors
// are classified by classify.ts.

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { BuildEnv } from '../../core/plugin.js';
import type { EncodingMemo, SinkEvent, SendOutcome, SinkDriver } from '../../core/types.js';
import { reuseEncoding } from '../shared/encoding-memo.js';
import type { S3Config } from './config.js';
import { classifyS3Error } from './classify.js';
import { classUidOf, encodeObject, ocsfRow, type EncodedObject } from './encode.js';
import type { Plan } from './plan.js';
import { createS3Client, headBucket, objectParams, uploadObject } from './upload.js';
import { chainedObject, collectBytes, createSinkIntegrity, integrityChainOf } from '../../integrity/sink-hook.js';
import { s3Store } from '../../integrity/s3-store.js';
import { Readable } from 'node:stream';

/** Memory of objects already stored for a batch the core is retrying (bounded). */
const MEMO_LIMIT = 2048;

/** Sorts a group's events (and their rows, in step) by event time. */
function sortByTime(g: { events: SinkEvent[]; rows: unknown[][] | undefined }): void {
  const order = g.events.map((_, i) => i).sort((a, b) => g.events[a]!.meta.time - g.events[b]!.meta.time);
  g.events = order.map((i) => g.events[i]!);
  if (g.rows) g.rows = order.map((i) => g.rows![i]!);
}

/** An object encoded once: its bytes, kept for the retries of its batch when they fit in one upload part. */
interface ObjectBytes {
  bytes: Buffer;
  raw: number;
  contentType: string;
  contentEncoding?: string;
}

/** What one attempt uploads: bytes kept for the batch, or a stream; sizes known once it is sent. */
interface ObjectToUpload {
  body: Readable | Buffer;
  contentType: string;
  contentEncoding?: string;
  raw: () => number;
  wire: () => number;
}

function streamedObject(e: EncodedObject): ObjectToUpload {
  return { ...e, body: e.body, raw: () => e.raw.bytes, wire: () => e.wire.bytes };
}

/**
 * The object's bytes when they fit in `limit` (one part: lib-storage holds that much of a
 * stream in memory anyway), else a stream that yields what was read and then the rest.
 */
async function bytesUpTo(body: Readable, limit: number): Promise<{ bytes: Buffer } | { stream: Readable }> {
  const chunks: Buffer[] = [];
  let total = 0;
  const it = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  for (let r = await it.next(); !r.done; r = await it.next()) {
    chunks.push(r.value);
    total += r.value.length;
    if (total > limit) {
      const rest = async function* () {
        yield* chunks.splice(0);
        for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
      };
      return { stream: Readable.from(rest(), { objectMode: false }) };
    }
  }
  return { bytes: Buffer.concat(chunks, total) };
}

/** `20260101T000000Z`: sorts like time, safe in keys. */
function compactTime(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** `plan` is the layout index.ts worked out (and checked) from the config at start-up. */
export function createS3Driver(config: S3Config, env: BuildEnv, plan: Plan): SinkDriver {
  const client = createS3Client(config);
  const labels = { sink: config.id };
  const host = hostname();
  const stored = new Set<string>();
  const log = env.logger;
  const integrity = createSinkIntegrity(config.integrity, env, () => s3Store(client, config.bucket, config.prefix, () => objectParams(config, Date.now())));

  const sourceNameOf = (e: SinkEvent): string | undefined => {
    const sl = plan.securityLake;
    if (!sl) return undefined;
    const uid = classUidOf(e);
    if (uid === undefined) return undefined;
    return sl.sourceNames[String(uid)] ?? sl.sourceName.replaceAll('{class_uid}', String(uid));
  };

  return {
    async healthcheck(signal) {
      await headBucket(client, config.bucket, signal);
    },

    async send(events, signal, memo?: EncodingMemo) {
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
        if (integrity) split += `\u0002${integrityChainOf(e)}`; // one chain per object
        const key = plan.template.partitionOf(e, extra) + split;
        let g = groups.get(key);
        if (!g) groups.set(key, (g = { events: [], rows: row ? [] : undefined }));
        g.events.push(e);
        if (row) g.rows!.push(row);
      });

      for (const [key, g] of groups) {
        if (plan.parquet) sortByTime(g); // Security Lake: records ordered by time
        const group = g.events;
        const storedId = `${key}|${group.length}|${group[0]!.meta.id}|${group[group.length - 1]!.meta.id}`;
        if (stored.has(storedId)) continue; // stored by an earlier attempt of this batch
        const now = Date.now();
        const partition = key.split('\u0002')[0]!.split('\u0001')[0]!;
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
        // Encoded (NDJSON + gzip, or Parquet) on the first attempt; a retry uploads the same
        // bytes. An object larger than one part is streamed, and encoded again if retried.
        let streamed: ObjectToUpload | undefined;
        const kept = await reuseEncoding<ObjectBytes | undefined>(memo, key, async () => {
          const e = encodeObject(plan, group, g.rows);
          const r = await bytesUpTo(e.body, config.partSize);
          if ('stream' in r) {
            streamed = { ...e, body: r.stream, raw: () => e.raw.bytes, wire: () => e.wire.bytes };
            return undefined; // too large to keep: this attempt streams it, a retry encodes again
          }
          return { bytes: r.bytes, raw: e.raw.bytes, contentType: e.contentType, ...(e.contentEncoding ? { contentEncoding: e.contentEncoding } : {}) };
        });
        const enc: ObjectToUpload = kept ? { ...kept, body: kept.bytes, raw: () => kept.raw, wire: () => kept.bytes.length } : (streamed ?? streamedObject(encodeObject(plan, group, g.rows)));
        try {
          const upload = (body: Readable | Buffer) => uploadObject(
            client,
            config,
            {
              key: objectKey,
              body,
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
          const body = enc.body;
          if (integrity) {
            const bytes = Buffer.isBuffer(body) ? body : await collectBytes(body);
            await integrity.store(chainedObject(group, objectKey, bytes), () => upload(bytes));
          } else await upload(body);
        } catch (err) {
          if (signal.aborted) throw err;
          const outcome: SendOutcome = classifyS3Error(err, Date.now());
          log.debug({ key: objectKey, reason: 'reason' in outcome ? outcome.reason : '' }, 'S3 upload failed');
          return outcome;
        }
        env.metrics.sinkBytesSent.inc(labels, enc.wire());
        env.metrics.sinkBytesUncompressed.inc(labels, enc.raw());
        stored.add(storedId);
        if (stored.size > MEMO_LIMIT) stored.delete(stored.values().next().value!);
        log.debug({ key: objectKey, events: group.length, bytes: enc.wire() }, 'S3 object stored');
      }
      for (const [key, { events: group }] of groups) stored.delete(`${key}|${group.length}|${group[0]!.meta.id}|${group[group.length - 1]!.meta.id}`);
      return rejected.length ? { kind: 'partial', rejected } : { kind: 'ok' };
    },

    async close() {
      await integrity?.close();
      client.destroy();
    },
  };
}
