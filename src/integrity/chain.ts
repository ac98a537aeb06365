// The per-stream hash chain: one manifest entry per stored object, each naming the previous
// entry's hash, so that editing, removing, inserting or reordering any object or manifest
// breaks a link that `zsf verify` reports. Entries are hashed in a canonical JSON form (keys
// sorted, no spaces) so the writer and any verifier compute the same bytes.

import { createHash } from 'node:crypto';

export const MANIFEST_VERSION = 1;
/** `prev` of the first entry of a chain. */
export const GENESIS_HASH = '0'.repeat(64);
/** Folder of manifests and signed heads, beside the data (S3: under the prefix; file sink: in its archive folder). */
export const INTEGRITY_DIR = '_integrity';

export interface RecordSummary {
  count: number;
  firstId: string;
  lastId: string;
  /** Epoch ms of the earliest and latest record time in the object. */
  firstTime: number;
  lastTime: number;
  /** 16 hex characters (64 bits of SHA-256) per record id, concatenated: lets verify report redelivered records without storing the ids. */
  idPrints: string;
}

export interface ManifestEntry extends RecordSummary {
  v: number;
  chain: string;
  seq: number;
  /** Object key (S3) or path relative to the archive folder (file sink). */
  key: string;
  bytes: number;
  sha256: string;
  prev: string;
  /** Epoch ms when the entry was assigned (the object was stored). */
  storedAt: number;
}

export interface ChainHead {
  seq: number;
  hash: string;
}

export const genesisHead = (): ChainHead => ({ seq: 0, hash: GENESIS_HASH });

/** JSON with object keys sorted at every level: the form every hash and signature is computed over. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
    .join(',')}}`;
}

export const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

export const entryHash = (entry: ManifestEntry): string => sha256Hex(canonicalJson(entry));

/** 64 bits of SHA-256 of a record id, hex. */
export const idPrint = (id: string): string => sha256Hex(id).slice(0, 16);

export function summariseRecords(records: readonly { id: string; time: number }[]): RecordSummary {
  let firstTime = Infinity;
  let lastTime = -Infinity;
  let idPrints = '';
  for (const r of records) {
    if (r.time < firstTime) firstTime = r.time;
    if (r.time > lastTime) lastTime = r.time;
    idPrints += idPrint(r.id);
  }
  return {
    count: records.length,
    firstId: records[0]?.id ?? '',
    lastId: records[records.length - 1]?.id ?? '',
    firstTime: records.length ? firstTime : 0,
    lastTime: records.length ? lastTime : 0,
    idPrints,
  };
}

/** The entry that follows `head` for an object already stored. */
export function nextEntry(head: ChainHead, chain: string, obj: { key: string; bytes: number; sha256: string; records: RecordSummary; storedAt: number }): ManifestEntry {
  return { v: MANIFEST_VERSION, chain, seq: head.seq + 1, key: obj.key, bytes: obj.bytes, sha256: obj.sha256, prev: head.hash, ...obj.records, storedAt: obj.storedAt };
}

/** Chain id of an event: account × stream × schema, safe as one path segment. */
export function chainIdOf(meta: { account: string; stream: string; schema: string }): string {
  return [meta.account, meta.stream, meta.schema].map((p) => p.replace(/[^A-Za-z0-9_-]/g, '_')).join('.');
}

const SEQ_WIDTH = 12;
export const padSeq = (seq: number): string => String(seq).padStart(SEQ_WIDTH, '0');

export function manifestKey(root: string, chain: string, seq: number): string {
  return `${joinKey(root, INTEGRITY_DIR)}/${chain}/${padSeq(seq)}.json`;
}
export function headKey(root: string, chain: string, seq: number): string {
  return `${joinKey(root, INTEGRITY_DIR)}/${chain}/heads/${padSeq(seq)}.json`;
}
/** `prefix/name` without a doubled or leading slash when the prefix is empty. */
export function joinKey(prefix: string, name: string): string {
  const p = prefix.replace(/\/+$/, '');
  return p ? `${p}/${name}` : name;
}

/** Parses a manifest; a description of what is wrong when it is not one. */
export function parseManifest(text: string): { entry: ManifestEntry } | { problem: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return { problem: `not JSON: ${(err as Error).message}` };
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { problem: 'not a JSON object' };
  const o = v as Record<string, unknown>;
  const str = ['chain', 'key', 'sha256', 'prev', 'firstId', 'lastId', 'idPrints'];
  const num = ['v', 'seq', 'bytes', 'count', 'firstTime', 'lastTime', 'storedAt'];
  for (const k of str) if (typeof o[k] !== 'string') return { problem: `field "${k}" is not a string` };
  for (const k of num) if (typeof o[k] !== 'number' || !Number.isFinite(o[k])) return { problem: `field "${k}" is not a number` };
  if (o.v !== MANIFEST_VERSION) return { problem: `unknown manifest version ${String(o.v)}` };
  if (!Number.isSafeInteger(o.seq) || (o.seq as number) < 1) return { problem: 'seq is not a positive integer' };
  if (!/^[0-9a-f]{64}$/.test(o.sha256 as string) || !/^[0-9a-f]{64}$/.test(o.prev as string)) return { problem: 'sha256/prev are not SHA-256 hex' };
  if ((o.idPrints as string).length !== (o.count as number) * 16) return { problem: 'idPrints does not match count' };
  const known = new Set([...str, ...num]);
  for (const k of Object.keys(o)) if (!known.has(k)) return { problem: `unknown field "${k}"` };
  return { entry: o as unknown as ManifestEntry };
}
