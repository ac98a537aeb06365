// NDJSON objects: one event body per line, gzip by default, produced as a stream so the
// encoded object never has to exist in memory in one piece (lib-storage then buffers at most
// partSize × queueSize of it).

import { Readable, Transform, type TransformCallback } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { SinkEvent } from '../../core/types.js';

const CHUNK = 256 * 1024;

function* lines(events: Iterable<SinkEvent>): Generator<string> {
  let buf = '';
  for (const e of events) {
    buf += e.json + '\n'; // the text serialised in fan-out
    if (buf.length >= CHUNK) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}

/** Counts the bytes that pass through. */
export class ByteCounter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

export interface EncodedStream {
  body: Readable;
  /** Bytes before compression, known once the stream has ended. */
  raw: ByteCounter;
  /** Bytes of the object, known once the stream has ended. */
  wire: ByteCounter;
}

/** `events` may be any iterable: a lazy one is pulled only as fast as the upload consumes it. */
export function ndjsonStream(events: Iterable<SinkEvent>, opts: { compression: 'gzip' | 'none'; level: number }): EncodedStream {
  const raw = new ByteCounter();
  const wire = new ByteCounter();
  const source = Readable.from(lines(events), { objectMode: false });
  const piped = opts.compression === 'gzip' ? source.pipe(raw).pipe(createGzip({ level: opts.level })) : source.pipe(raw);
  const body = piped.pipe(wire);
  // Errors anywhere in the chain surface on the stream the uploader reads.
  for (const s of [source, raw, piped]) s.on('error', (err) => body.destroy(err));
  return { body, raw, wire };
}
