// Logs are part of what tests assert (what was said, and that no secret was said).

import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export interface CapturedLogs {
  /** A pino destination (`logDestination` of startPipeline). */
  stream: Writable & { write: Writable['write'] };
  /** Every line written so far, in order. */
  lines: string[];
  /** A debug-level pino logger writing into `lines`, for components built without a pipeline. */
  logger: Logger;
}

/** A log destination (and a logger on it) that keeps every line for assertions. */
export function captureLogs(): CapturedLogs {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(l);
      cb();
    },
  });
  return { stream, lines, logger: pino({ level: 'debug' }, stream) };
}
