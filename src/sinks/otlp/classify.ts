// The classification of OTLP/HTTP export answers (pure), and the error text they carry.

import type { SendOutcome } from '../../core/types.js';
import { classifyHttpStatus } from '../shared/classify.js';
import type { CapturedResponse } from './exporter.js';

/** google.rpc.Status.message (field 2) from a protobuf error body, or undefined. */
export function rpcStatusMessage(buf: Buffer): string | undefined {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= buf.length) throw new Error('truncated');
      const b = buf[pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
      if (shift > 63) throw new Error('varint too long');
    }
  };
  try {
    while (pos < buf.length) {
      const tag = varint();
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      if (wire === 0) varint();
      else if (wire === 1) pos += 8;
      else if (wire === 5) pos += 4;
      else if (wire === 2) {
        const len = varint();
        if (field === 2) return buf.subarray(pos, pos + len).toString('utf8');
        pos += len;
      } else return undefined;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

function errorText(r: Pick<CapturedResponse, 'headers' | 'body'>): string {
  const type = String(r.headers['content-type'] ?? '');
  if (type.includes('protobuf')) return rpcStatusMessage(r.body) ?? '';
  const text = r.body.toString('utf8');
  if (type.includes('json')) {
    try {
      const j = JSON.parse(text) as { message?: unknown };
      if (typeof j.message === 'string') return j.message;
    } catch {
      // not JSON after all: use the text
    }
  }
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * OTLP/HTTP status handling (OTLP spec, "OTLP/HTTP Response"): 2xx accepted; 429, 502, 503
 * and 504 retryable honouring Retry-After (plus 408, a proxy/transport timeout); 401/403
 * auth; 413 too large (split); every other 4xx and 5xx is not retryable and is dead-lettered
 * (the spec says those MUST NOT be retried, 500 included). A 3xx follows the rule of every
 * sink (src/sinks/shared/classify.ts): not followed, retried, the Location in the reason.
 */
export function classifyOtlpResponse(r: Pick<CapturedResponse, 'status' | 'headers' | 'body'>, now: number): SendOutcome {
  if (r.status >= 200 && r.status < 300) return { kind: 'ok' };
  const outcome = classifyHttpStatus(r.status, r.headers, errorText(r), now);
  if (outcome.kind === 'retry' && r.status >= 500 && ![502, 503, 504].includes(r.status)) {
    return { kind: 'permanent', reason: outcome.reason };
  }
  return outcome;
}
