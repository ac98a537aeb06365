// An event's meta in a disk buffer frame, as fixed binary fields instead of JSON: writing it
// builds no string and reading it parses none (JSON.stringify of the meta was ~40 % of what a
// push allocated, JSON.parse most of what a read did; docs/performance.md, "Disk buffer").
//
//   u8 flags (1 sourcetype, 2 severity, 4 classUid present) | f64 time | [f64 severity] |
//   [f64 classUid] | id | account | stream | schema | [sourcetype]
//
// each string as u32 UTF-8 length + bytes; numbers little-endian. Optional fields absent from
// the meta are absent from the bytes, as JSON would leave them out.

import type { EventMeta, EventSchema } from '../types.js';

const HAS_SOURCETYPE = 1;
const HAS_SEVERITY = 2;
const HAS_CLASS_UID = 4;

// Every EventMeta field has its place above: a field added to EventMeta fails to compile here
// until the codec writes it, so no meta is silently cut short on its way through the disk.
type Encoded = 'id' | 'account' | 'stream' | 'time' | 'schema' | 'sourcetype' | 'severity' | 'classUid';
const everyFieldEncoded: [Exclude<keyof EventMeta, Encoded>] extends [never] ? true : never = true;
void everyFieldEncoded;

/** At most the bytes `writeMeta` needs (a UTF-16 code unit is at most 3 UTF-8 bytes). */
export function metaBound(m: EventMeta): number {
  return 1 + 8 * 3 + 4 * 5 + 3 * (m.id.length + m.account.length + m.stream.length + m.schema.length + (m.sourcetype?.length ?? 0));
}

/** Writes `m` at `off` (room for `metaBound(m)` bytes); returns the bytes written. */
export function writeMeta(buf: Buffer, off: number, m: EventMeta): number {
  const start = off;
  const flags = (m.sourcetype !== undefined ? HAS_SOURCETYPE : 0) | (m.severity !== undefined ? HAS_SEVERITY : 0) | (m.classUid !== undefined ? HAS_CLASS_UID : 0);
  buf[off++] = flags;
  off = buf.writeDoubleLE(m.time, off);
  if (m.severity !== undefined) off = buf.writeDoubleLE(m.severity, off);
  if (m.classUid !== undefined) off = buf.writeDoubleLE(m.classUid, off);
  off = writeString(buf, off, m.id);
  off = writeString(buf, off, m.account);
  off = writeString(buf, off, m.stream);
  off = writeString(buf, off, m.schema);
  if (m.sourcetype !== undefined) off = writeString(buf, off, m.sourcetype);
  return off - start;
}

function writeString(buf: Buffer, off: number, s: string): number {
  const n = buf.write(s, off + 4, 'utf8');
  buf.writeUInt32LE(n, off);
  return off + 4 + n;
}

/** The meta in `buf[start, end)`; throws when the bytes do not hold exactly one. */
export function readMeta(buf: Buffer, start: number, end: number): EventMeta {
  const r = new MetaReader(buf, start, end);
  const flags = r.byte();
  if (flags & ~(HAS_SOURCETYPE | HAS_SEVERITY | HAS_CLASS_UID)) throw new Error(`unknown meta flags 0x${flags.toString(16)}`);
  const time = r.double();
  const severity = flags & HAS_SEVERITY ? r.double() : undefined;
  const classUid = flags & HAS_CLASS_UID ? r.double() : undefined;
  const meta: EventMeta = { id: r.string(), account: r.string(), stream: r.string(), time, schema: r.string() as EventSchema };
  if (flags & HAS_SOURCETYPE) meta.sourcetype = r.string();
  if (severity !== undefined) meta.severity = severity;
  if (classUid !== undefined) meta.classUid = classUid;
  r.end();
  return meta;
}

class MetaReader {
  constructor(
    private buf: Buffer,
    private at: number,
    private readonly limit: number,
  ) {}
  private take(n: number): number {
    if (this.at + n > this.limit) throw new Error('meta shorter than its fields');
    const at = this.at;
    this.at += n;
    return at;
  }
  byte(): number {
    return this.buf[this.take(1)]!;
  }
  double(): number {
    return this.buf.readDoubleLE(this.take(8));
  }
  string(): string {
    const n = this.buf.readUInt32LE(this.take(4));
    const at = this.take(n);
    return this.buf.toString('utf8', at, at + n);
  }
  end(): void {
    if (this.at !== this.limit) throw new Error('meta longer than its fields');
  }
}
