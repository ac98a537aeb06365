// Events -> Datadog HTTP log items (POST /api/v2/logs body entries).
//
// Each log: ddsource, ddtags (account, stream, schema + configured tags), hostname, service,
// message = the event JSON (its text as serialised once in fan-out), and the reserved attributes `status` (from the event severity)
// and `timestamp` (the event time, epoch ms; never the wall clock).

import type { SinkEvent } from '../../core/types.js';
import { compileTemplate } from '../shared/template.js';
import { DATADOG_LIMITS, type DatadogConfig } from './config.js';

/** The plain JSON shape of one log, in the key order the official client serialises it. */
export interface DatadogLog {
  ddsource: string;
  ddtags: string;
  hostname: string;
  message: string;
  service: string;
  status: string;
  timestamp: number;
  zsf_truncated?: true;
  zsf_original_bytes?: number;
}

/** OCSF severity_id (0..6, 99) -> Datadog status. */
export function datadogStatus(severity: number | undefined): string {
  switch (severity) {
    case 2:
      return 'notice';
    case 3:
      return 'warning';
    case 4:
      return 'error';
    case 5:
      return 'critical';
    case 6:
      return 'emergency';
    default:
      return 'info';
  }
}

/** Datadog tags are comma-separated; a comma inside a value would split the tag. */
function tagValue(v: string): string {
  return v.replace(/,/g, '_');
}

export interface EncodedLog {
  log: DatadogLog;
  /** UTF-8 bytes of JSON.stringify(log), when it was measured (only logs that may be near the limit are). */
  bytes?: number;
}

export type EncodeResult = { ok: true; encoded: EncodedLog } | { ok: false; reason: string };

export interface DatadogEncoder {
  encode(event: SinkEvent): EncodeResult;
}

export function createDatadogEncoder(
  config: Pick<DatadogConfig, 'service' | 'source' | 'hostname' | 'tags' | 'oversizedLogs'>,
  maxLogBytes: number = DATADOG_LIMITS.maxLogBytes,
): DatadogEncoder {
  const service = compileTemplate(config.service);
  const source = compileTemplate(config.source);
  const hostname = compileTemplate(config.hostname);
  const tags = config.tags.map((t) => compileTemplate(t));

  return {
    encode(e) {
      let ddtags = `account:${tagValue(e.meta.account)},stream:${tagValue(e.meta.stream)},schema:${tagValue(e.meta.schema)}`;
      for (const t of tags) {
        const v = t(e);
        if (v) ddtags += `,${tagValue(v)}`;
      }
      const log: DatadogLog = {
        ddsource: source(e),
        ddtags,
        hostname: hostname(e),
        message: e.json, // the text serialised in fan-out; the client's serializer escapes it into the request
        service: service(e),
        status: datadogStatus(e.meta.severity),
        timestamp: e.meta.time,
      };
      // A JSON-escaped character takes at most 6 bytes: most logs are far below the limit and
      // are not serialised a second time just to be measured (the request body is measured exactly).
      const bound = 6 * (log.message.length + log.ddtags.length + log.hostname.length + log.service.length + log.ddsource.length) + 256;
      if (bound <= maxLogBytes) return { ok: true, encoded: { log } };
      const bytes = Buffer.byteLength(JSON.stringify(log));
      if (bytes <= maxLogBytes) return { ok: true, encoded: { log, bytes } };
      if (config.oversizedLogs === 'dead_letter') {
        return { ok: false, reason: `log is ${bytes} bytes encoded, above Datadog's ${maxLogBytes}-byte limit per log (oversizedLogs: dead_letter)` };
      }
      return { ok: true, encoded: truncate(log, bytes, maxLogBytes) };
    },
  };
}

/** Bytes a string adds inside a JSON string literal. */
function escapedBytes(cp: number): number {
  if (cp === 0x22 || cp === 0x5c) return 2;
  if (cp === 0x08 || cp === 0x09 || cp === 0x0a || cp === 0x0c || cp === 0x0d) return 2;
  if (cp < 0x20) return 6;
  if (cp >= 0xd800 && cp <= 0xdfff) return 6; // lone surrogate: JSON.stringify escapes it
  if (cp < 0x80) return 1;
  if (cp < 0x800) return 2;
  if (cp < 0x10000) return 3;
  return 4;
}

/** The longest prefix of `s` whose JSON-escaped form fits in `budget` bytes, never splitting a surrogate pair. */
export function prefixWithinJsonBytes(s: string, budget: number): string {
  let used = 0;
  let i = 0;
  while (i < s.length) {
    const cp = s.codePointAt(i)!;
    const b = escapedBytes(cp);
    if (used + b > budget) break;
    used += b;
    i += cp > 0xffff ? 2 : 1;
  }
  return s.slice(0, i);
}

const MARKER = '…[truncated by zendesk-siem-forwarder]';

function truncate(log: DatadogLog, originalBytes: number, maxLogBytes: number): EncodedLog {
  const marked: DatadogLog = { ...log, message: '', zsf_truncated: true, zsf_original_bytes: originalBytes };
  const fixed = Buffer.byteLength(JSON.stringify(marked)) + Buffer.byteLength(MARKER);
  const budget = Math.max(0, maxLogBytes - fixed);
  marked.message = prefixWithinJsonBytes(log.message, budget) + MARKER;
  return { log: marked, bytes: Buffer.byteLength(JSON.stringify(marked)) };
}
