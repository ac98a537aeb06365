// One Parquet schema per OCSF class and version, built from the class definition (the
// generated ocsf-parquet-schema.generated.ts), never from the events in an object. Every object
// the sink writes for a class therefore has the same columns, types and nesting, and query
// engines can read a class prefix as one table (no union_by_name, no cast errors).
//
// Rules:
// - Columns: every attribute of the class (profile attributes included), ordered by name; in
//   objects, every attribute of the object. Absent attributes are null.
// - Depth: OCSF objects are recursive (user -> groups -> …), so nesting stops at
//   OCSF_PARQUET_DEPTH levels: class attributes are level 1, so `actor.user.name` (level 3) is
//   a column, and an object-typed attribute at level 3 (e.g. `actor.user.groups`) is one JSON text column.
// - Open shapes (`unmapped`, `enrichments[].data`, any json_t or `object` typed attribute) are
//   one JSON text column each, always.
// - timestamp_t -> INT64 TIMESTAMP_MILLIS (UTC); integer_t -> INT32; long_t -> INT64;
//   float_t -> DOUBLE; boolean_t -> BOOLEAN; string types -> UTF8; arrays -> 3-level LISTs.
// An event that does not fit (an attribute the class does not define, a value of the wrong
// type) is rejected with the attribute's path, so it is dead-lettered instead of silently
// changing the schema or losing the value.

import { createHash } from 'node:crypto';
import type { SchemaElement } from 'hyparquet';
import { OCSF_PARQUET_DEFINITIONS as DEFS } from './ocsf-parquet-schema.generated.js';

export const OCSF_PARQUET_DEPTH = 3;
export const OCSF_SCHEMA_VERSION = DEFS.ocsfVersion;
/** class_uid of every class with a schema (the classes the forwarder maps to). */
export const OCSF_CLASS_UIDS = Object.keys(DEFS.classes);

type Kind = 'string' | 'int32' | 'int64' | 'double' | 'bool' | 'timestamp' | 'json';

interface Leaf {
  name: string;
  list: boolean;
  kind: Kind;
}
interface Group {
  name: string;
  list: boolean;
  kind: 'group';
  children: Node[];
  byName: Map<string, Node>;
}
type Node = Leaf | Group;

/** A value that does not fit the class schema; `path` names the attribute. */
export class SchemaMismatch extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}

export interface ParquetLayout {
  /** sha256 of the Parquet schema (hex): equal fingerprints = identical schemas. */
  fingerprint: string;
  elements: SchemaElement[];
  columns: string[];
  /** The event body as one value per top-level column; throws SchemaMismatch. */
  row(body: Record<string, unknown>): unknown[];
  /** Key/value metadata describing the layout. */
  metadata: Record<string, string>;
}

function nodesOf(attrs: readonly (readonly [string, string, 0 | 1, string?])[], level: number): Node[] {
  return attrs.map(([name, kind, isArray, objectName]): Node => {
    const list = isArray === 1;
    // A JSON column holds the whole value, array or not.
    if (kind === 'json' || (kind === 'object' && level >= OCSF_PARQUET_DEPTH)) return { name, list: false, kind: 'json' }; // recursion bound
    if (kind !== 'object') return { name, list, kind: kind as Kind };
    const children = nodesOf(DEFS.objects[objectName!]!, level + 1);
    return { name, list, kind: 'group', children, byName: new Map(children.map((c) => [c.name, c])) };
  });
}

function pushElements(out: SchemaElement[], node: Node): void {
  if (node.list) {
    // The 3-level LIST structure of the Parquet format spec (LogicalTypes.md, "Lists").
    out.push({ name: node.name, repetition_type: 'OPTIONAL', converted_type: 'LIST', logical_type: { type: 'LIST' }, num_children: 1 });
    out.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 });
    pushItem(out, 'element', node);
  } else pushItem(out, node.name, node);
}

function pushItem(out: SchemaElement[], name: string, node: Node): void {
  const r = 'OPTIONAL' as const;
  switch (node.kind) {
    case 'group':
      out.push({ name, repetition_type: r, num_children: node.children.length });
      for (const c of node.children) pushElements(out, c);
      return;
    case 'string':
      out.push({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' }, repetition_type: r });
      return;
    case 'json':
      out.push({ name, type: 'BYTE_ARRAY', converted_type: 'JSON', logical_type: { type: 'JSON' }, repetition_type: r });
      return;
    case 'int32':
      out.push({ name, type: 'INT32', repetition_type: r });
      return;
    case 'int64':
      out.push({ name, type: 'INT64', repetition_type: r });
      return;
    case 'double':
      out.push({ name, type: 'DOUBLE', repetition_type: r });
      return;
    case 'bool':
      out.push({ name, type: 'BOOLEAN', repetition_type: r });
      return;
    case 'timestamp':
      out.push({ name, type: 'INT64', repetition_type: r, converted_type: 'TIMESTAMP_MILLIS', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' } });
      return;
  }
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function describe(v: unknown): string {
  return Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)?.slice(0, 40)}`;
}

function conformItem(v: unknown, node: Node, path: string): unknown {
  if (v === null || v === undefined) return null;
  const bad = (expected: string) => new SchemaMismatch(path, `expected ${expected}, got ${describe(v)}`);
  switch (node.kind) {
    case 'json':
      return v; // hyparquet-writer writes JSON-typed columns as JSON.stringify(value)
    case 'string':
      if (typeof v !== 'string') throw bad('a string');
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw bad('a boolean');
      return v;
    case 'double':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad('a number');
      return v;
    case 'int32':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) throw bad('a 32-bit integer');
      return v;
    case 'int64':
    case 'timestamp':
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw bad(node.kind === 'timestamp' ? 'a timestamp (integer epoch milliseconds)' : 'an integer');
      return BigInt(v);
    case 'group': {
      if (typeof v !== 'object' || Array.isArray(v)) throw bad('an object');
      const src = v as Record<string, unknown>;
      for (const k of Object.keys(src)) if (!node.byName.has(k) && src[k] !== null && src[k] !== undefined) throw new SchemaMismatch(`${path}.${k}`, 'not an attribute of this OCSF object');
      const out: Record<string, unknown> = {};
      for (const c of node.children) out[c.name] = conform(src[c.name], c, `${path}.${c.name}`);
      return out;
    }
  }
}

function conform(v: unknown, node: Node, path: string): unknown {
  if (v === null || v === undefined) return null;
  if (!node.list) return conformItem(v, node, path);
  if (!Array.isArray(v)) throw new SchemaMismatch(path, `expected an array, got ${describe(v)}`);
  return v.map((x, i) => conformItem(x, node, `${path}[${i}]`));
}

function fingerprintOf(elements: SchemaElement[]): string {
  return createHash('sha256').update(JSON.stringify(elements)).digest('hex');
}

const layouts = new Map<number, ParquetLayout | null>();

/** The schema of an OCSF class (by class_uid) in the bundled OCSF version, or undefined. */
export function ocsfClassLayout(classUid: number): ParquetLayout | undefined {
  let layout = layouts.get(classUid);
  if (layout === undefined) {
    const cls = DEFS.classes[String(classUid)];
    layout = cls ? buildLayout(classUid, cls.name, nodesOf(cls.attributes, 1)) : null;
    layouts.set(classUid, layout);
  }
  return layout ?? undefined;
}

function buildLayout(classUid: number, className: string, nodes: Node[]): ParquetLayout {
  const elements: SchemaElement[] = [{ name: 'schema', num_children: nodes.length }];
  for (const n of nodes) pushElements(elements, n);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const fingerprint = fingerprintOf(elements);
  return {
    fingerprint,
    elements,
    columns: nodes.map((n) => n.name),
    row(body) {
      for (const k of Object.keys(body)) {
        if (!byName.has(k) && body[k] !== null && body[k] !== undefined) throw new SchemaMismatch(k, `not an attribute of OCSF ${DEFS.ocsfVersion} class ${className} (${classUid}); put extension fields under "unmapped"`);
      }
      return nodes.map((n) => conform(body[n.name], n, n.name));
    },
    metadata: {
      'zsf.schema.fingerprint': fingerprint,
      'zsf.schema.source': `ocsf ${DEFS.ocsfVersion} class ${classUid} ${className}, depth ${OCSF_PARQUET_DEPTH}`,
      'ocsf.version': DEFS.ocsfVersion,
      'ocsf.class_uid': String(classUid),
    },
  };
}

/** OCSF versions the bundled schema serves: the same major.minor (patch releases add no attributes). */
export function servesOcsfVersion(version: unknown): boolean {
  if (typeof version !== 'string') return false;
  const [major, minor] = DEFS.ocsfVersion.split('.');
  return new RegExp(`^${major}\\.${minor}(\\.\\d+)?$`).test(version);
}
