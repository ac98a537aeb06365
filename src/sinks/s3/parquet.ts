// Parquet writer of the S3 sink. OCSF events use the fixed per-class schema of ocsf-schema.ts
// (the same in every object of a class). Other events (ECS, raw) have no class definition
// here: their schema is derived from the events in the object, documented as per-object.
// Nested objects become Parquet groups and arrays 3-level LISTs, so Athena / Glue / Security
// Lake see real columns (actor.user.name), not JSON strings.
//
// Derivation (non-OCSF only): every value's shape is merged across events. null merges with
// anything; int and double merge to DOUBLE; objects merge field by field; arrays merge their elements.
// A field whose shapes conflict (string here, object there), or an object that never has a
// field ({}), is stored as a JSON string column (converted type JSON) so nothing is lost.
// OCSF timestamps (integer `time` and `*_time`, epoch ms by the OCSF timestamp_t type)
// become INT64 TIMESTAMP_MILLIS. Fields that are only ever null become nullable strings.
// Columns are ordered by name. Two objects get the same schema only if their events have the same shapes.

import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet';
import type { PipelineEvent } from '../../core/types.js';
import type { ParquetLayout } from './ocsf-schema.js';
import { zstdCompressSync } from './zstd.js';
import { packageVersion } from '../../observability/build-info.js';

type Shape =
  | { k: 'null' }
  | { k: 'bool' }
  | { k: 'int' }
  | { k: 'double' }
  | { k: 'string' }
  | { k: 'timestamp' }
  | { k: 'json' }
  | { k: 'object'; fields: Map<string, Shape> }
  | { k: 'list'; element: Shape };

const NULL: Shape = { k: 'null' };
const JSON_SHAPE: Shape = { k: 'json' };

function isTimestampKey(key: string | undefined, ocsf: boolean): boolean {
  return ocsf && key !== undefined && (key === 'time' || key.endsWith('_time'));
}

function shapeOf(v: unknown, key: string | undefined, ocsf: boolean): Shape {
  if (v === null || v === undefined) return NULL;
  switch (typeof v) {
    case 'boolean':
      return { k: 'bool' };
    case 'number':
      if (Number.isInteger(v)) return isTimestampKey(key, ocsf) ? { k: 'timestamp' } : { k: 'int' };
      return { k: 'double' };
    case 'string':
      return { k: 'string' };
    case 'object': {
      if (Array.isArray(v)) {
        let element: Shape = NULL;
        for (const x of v) element = merge(element, shapeOf(x, undefined, ocsf));
        return { k: 'list', element };
      }
      const fields = new Map<string, Shape>();
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) fields.set(k, shapeOf(x, k, ocsf));
      return { k: 'object', fields };
    }
    default:
      return JSON_SHAPE;
  }
}

function merge(a: Shape, b: Shape): Shape {
  if (a.k === 'null') return b;
  if (b.k === 'null') return a;
  if (a.k === 'json' || b.k === 'json') return JSON_SHAPE;
  if (a.k === b.k) {
    if (a.k === 'object') {
      const fields = new Map(a.fields);
      for (const [k, s] of (b as typeof a).fields) fields.set(k, merge(fields.get(k) ?? NULL, s));
      return { k: 'object', fields };
    }
    if (a.k === 'list') return { k: 'list', element: merge(a.element, (b as typeof a).element) };
    return a;
  }
  const nums = new Set([a.k, b.k]);
  if (nums.has('double') && (nums.has('int') || nums.has('timestamp'))) return { k: 'double' };
  if (nums.has('int') && nums.has('timestamp')) return { k: 'int' };
  return JSON_SHAPE;
}

/** Objects that never had a field cannot be Parquet groups: store them as JSON. */
function finalize(s: Shape): Shape {
  if (s.k === 'null') return { k: 'string' };
  if (s.k === 'object') {
    if (s.fields.size === 0) return JSON_SHAPE;
    const fields = new Map<string, Shape>();
    for (const k of [...s.fields.keys()].sort()) fields.set(k, finalize(s.fields.get(k)!));
    return { k: 'object', fields };
  }
  if (s.k === 'list') return { k: 'list', element: finalize(s.element) };
  return s;
}

/** The layout of an object of non-OCSF events (ECS, raw): derived from the events in it. */
export function deriveLayout(events: PipelineEvent[]): ParquetLayout {
  let root: Shape = { k: 'object', fields: new Map() };
  for (const e of events) root = merge(root, shapeOf(e.body, undefined, e.meta.schema === 'ocsf'));
  const wholeBody = !(root.k === 'object' && root.fields.size > 0);
  const fin = wholeBody ? { k: 'object' as const, fields: new Map<string, Shape>([['event', JSON_SHAPE]]) } : (finalize(root) as Extract<Shape, { k: 'object' }>);
  const elements: SchemaElement[] = [{ name: 'root', num_children: fin.fields.size }];
  for (const [name, s] of fin.fields) pushElements(elements, name, s, 'OPTIONAL');
  const columns = [...fin.fields.entries()];
  const fingerprint = createHash('sha256').update(JSON.stringify(elements)).digest('hex');
  return {
    fingerprint,
    elements,
    columns: columns.map(([n]) => n),
    row: (body) => (wholeBody ? [body] : columns.map(([name, shape]) => conform(body[name], shape))),
    metadata: { 'zsf.schema.fingerprint': fingerprint, 'zsf.schema.source': 'derived from the events in this object' },
  };
}

function pushElements(out: SchemaElement[], name: string, s: Shape, repetition: 'OPTIONAL' | 'REQUIRED'): void {
  switch (s.k) {
    case 'bool':
      out.push({ name, type: 'BOOLEAN', repetition_type: repetition });
      return;
    case 'int':
      out.push({ name, type: 'INT64', repetition_type: repetition });
      return;
    case 'timestamp':
      out.push({ name, type: 'INT64', repetition_type: repetition, converted_type: 'TIMESTAMP_MILLIS', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' } });
      return;
    case 'double':
      out.push({ name, type: 'DOUBLE', repetition_type: repetition });
      return;
    case 'string':
    case 'null':
      out.push({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: repetition });
      return;
    case 'json':
      out.push({ name, type: 'BYTE_ARRAY', converted_type: 'JSON', repetition_type: repetition });
      return;
    case 'object':
      out.push({ name, repetition_type: repetition, num_children: s.fields.size });
      for (const [k, f] of s.fields) pushElements(out, k, f, 'OPTIONAL');
      return;
    case 'list':
      // The 3-level LIST structure of the Parquet format spec (LogicalTypes.md, "Lists").
      out.push({ name, repetition_type: repetition, converted_type: 'LIST', num_children: 1 });
      out.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 });
      pushElements(out, 'element', s.element, 'OPTIONAL');
      return;
  }
}

/** A body value -> the value hyparquet-writer expects for that schema node. */
function conform(v: unknown, s: Shape): unknown {
  if (v === null || v === undefined) return null;
  switch (s.k) {
    case 'json':
      return v; // hyparquet-writer writes JSON-typed columns as JSON.stringify(value)
    case 'int':
    case 'timestamp':
      return typeof v === 'number' ? BigInt(v) : null;
    case 'double':
      return typeof v === 'number' ? v : null;
    case 'bool':
      return typeof v === 'boolean' ? v : null;
    case 'string':
    case 'null':
      return typeof v === 'string' ? v : null;
    case 'list':
      return Array.isArray(v) ? v.map((x) => conform(x, s.element)) : null;
    case 'object': {
      if (typeof v !== 'object' || Array.isArray(v)) return null;
      const out: Record<string, unknown> = {};
      for (const [k, f] of s.fields) out[k] = conform((v as Record<string, unknown>)[k], f);
      return out;
    }
  }
}

export type ParquetCompression = 'snappy' | 'gzip' | 'zstd' | 'none';


const CODECS = { snappy: 'SNAPPY', gzip: 'GZIP', zstd: 'ZSTD', none: 'UNCOMPRESSED' } as const;

/** `created_by` of every object: "<application> version <version>" as parquet-mr writes it. */
export const CREATED_BY = `zendesk-siem-forwarder version ${packageVersion()}`;

/**
 * Streams one Parquet file of `rows` (already conformed by `layout.row`): row groups are encoded
 * one at a time and each finished group is handed to the returned stream (awaiting its drain), so
 * memory is about one row group of encoded data, not the whole object.
 */
export function parquetStream(rows: unknown[][], layout: ParquetLayout, opts: { compression: ParquetCompression; rowGroupEvents: number; kvMetadata?: Record<string, string> }): Readable {
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  const writer = new ByteWriter(1024 * 1024);
  const drain = async (): Promise<void> => {
    if (writer.index === 0) return;
    const chunk = Buffer.from(writer.buffer.slice(0, writer.index));
    writer.index = 0; // `offset` keeps counting file positions
    if (!out.write(chunk)) await new Promise<void>((resolve, reject) => {
      out.once('drain', resolve);
      out.once('close', () => reject(new Error('parquet output stream closed')));
    });
  };
  (writer as unknown as { flush: () => Promise<void> }).flush = drain;
  (writer as unknown as { finish: () => Promise<void> }).finish = drain;
  const kv = { ...layout.metadata, ...opts.kvMetadata };
  void (async () => {
    try {
      const pq = new ParquetWriter({
        writer,
        schema: layout.elements,
        codec: CODECS[opts.compression],
        compressors: { GZIP: (input: Uint8Array) => gzipSync(input), ...(zstdCompressSync ? { ZSTD: zstdCompressSync } : {}) },
        createdBy: CREATED_BY,
        kvMetadata: Object.entries(kv).map(([key, value]) => ({ key, value })),
      });
      for (let start = 0; start < rows.length; start += opts.rowGroupEvents) {
        const group = rows.slice(start, start + opts.rowGroupEvents);
        const columnData = layout.columns.map((name, c) => ({ name, data: group.map((r) => r[c]) }));
        await pq.write({ columnData, rowGroupSize: group.length });
      }
      await pq.finish();
      out.end();
    } catch (err) {
      out.destroy(err as Error);
    }
  })();
  return out;
}
