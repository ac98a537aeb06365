// Events -> the body of one S3 object: gzip (or plain) NDJSON, or Parquet (OCSF events in
// their class's fixed schema, other events in a schema derived from the object).

import type { SinkEvent } from '../../core/types.js';
import { ByteCounter, ndjsonStream, type EncodedStream } from './ndjson.js';
import { OCSF_SCHEMA_VERSION, ocsfClassLayout, SchemaMismatch, servesOcsfVersion } from './ocsf-schema.js';
import { deriveLayout, parquetStream, type ParquetCompression } from './parquet.js';

/** How objects are encoded: exactly one of the two is set. */
export interface ObjectEncoding {
  parquet: { compression: ParquetCompression; rowGroupEvents: number } | undefined;
  ndjson: { compression: 'gzip' | 'none'; level: number } | undefined;
}

export type EncodedObject = EncodedStream & { contentType: string; contentEncoding?: string };

export function classUidOf(e: SinkEvent): number | undefined {
  if (e.meta.classUid !== undefined) return e.meta.classUid;
  return typeof e.body.class_uid === 'number' ? e.body.class_uid : undefined;
}

export function encodeObject(plan: ObjectEncoding, events: SinkEvent[], rows: unknown[][] | undefined): EncodedObject {
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
export function ocsfRow(e: SinkEvent): { row: unknown[] } | { reason: string } {
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
