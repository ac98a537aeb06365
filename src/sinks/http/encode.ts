// Events -> the request body of the `http` sink: newline-delimited JSON, one event body per
// line, each line ending in "\n" (application/x-ndjson).

import type { PipelineEvent } from '../../core/types.js';

export function encodeNdjsonBody(events: PipelineEvent[]): string {
  let out = '';
  for (const e of events) out += JSON.stringify(e.body) + '\n';
  return out;
}
