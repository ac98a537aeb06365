// Events -> the request body of the `http` sink: newline-delimited JSON, one event body per
// line, each line ending in "\n" (application/x-ndjson).

import type { SinkEvent } from '../../core/types.js';

export function encodeNdjsonBody(events: SinkEvent[]): string {
  let out = '';
  for (const e of events) out += e.json + '\n'; // the text serialised once, in fan-out
  return out;
}
