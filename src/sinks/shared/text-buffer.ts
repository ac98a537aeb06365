// One request body assembled from strings whose UTF-8 lengths are known in advance (events'
// JSON texts carry theirs from fan-out): each string is encoded once, straight into its place.
// No joined string, no measuring of the whole body, no second copy into a Buffer. An event
// read back from a disk buffer brings its text's bytes, which are copied as they are.

import type { SinkEvent } from '../../core/types.js';

export class TextBuffer {
  private readonly buf: Buffer;
  private off = 0;

  constructor(readonly bytes: number) {
    this.buf = Buffer.allocUnsafe(bytes);
  }

  put(text: string): void {
    this.off += this.buf.write(text, this.off, 'utf8');
  }

  /** An event's JSON text: its UTF-8 bytes copied when it has them (read from a disk buffer), else the text encoded. */
  putJson(e: Pick<SinkEvent, 'json' | 'utf8'>): void {
    if (e.utf8) this.off += e.utf8.copy(this.buf, this.off);
    else this.put(e.json);
  }

  newline(): void {
    this.buf[this.off++] = 0x0a;
  }

  /** The body; throws if the strings did not add up to `bytes` (a wrong count would send uninitialised memory). */
  done(): Buffer {
    if (this.off !== this.bytes) throw new Error(`request body: expected ${this.bytes} bytes, wrote ${this.off} (an event's byte count does not match its JSON text)`);
    return this.buf;
  }
}
