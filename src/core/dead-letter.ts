// Dead-letter store: NDJSON files under dataDir/dead-letter/, one per UTC day.
// Each line: {"time","component","reason","kind","payload"}; see docs/ARCHITECTURE.md.
// Appends are serialised and fsynced before the caller is told it is stored, because a
// dead letter replaces delivery: the caller acks the event once this resolves. A write that
// fails rejects with a DeadLetterError naming the file and errno, so the caller can refuse to
// ack (the item must then stay upstream). Serialising never throws: an item that has no JSON
// form (too deep, bigint, cycle) is stored as a bounded preview with the reason why.

import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Metrics } from '../observability/metrics.js';
import type { Secrets } from '../observability/secrets.js';
import { ensurePrivateDir, PRIVATE_FILE_MODE, tightenFileMode } from './fs-atomic.js';
import { truncatedPreview, tryStringify } from './record-limits.js';

export type DeadLetterKind = 'record' | 'event' | 'page' | 'buffer_bytes';

export interface DeadLetterInput {
  component: string;
  /** Short machine-friendly reason, used as a metric label (e.g. `mapping_failed`, `http_400`). */
  reason: string;
  /** Human detail: the destination's error text, the parse error... */
  detail?: string;
  kind: DeadLetterKind;
  /** The original record, event, page text or damaged bytes (base64). */
  payload: unknown;
  /** Extra context such as the upstream URL. */
  context?: Record<string, unknown>;
}

export class DeadLetterError extends Error {
  constructor(readonly path: string, readonly code: string | undefined, cause: unknown) {
    const text = cause instanceof Error ? cause.message : String(cause);
    super(`cannot write dead letter to ${path}: ${code && !text.includes(code) ? `${code}: ` : ''}${text}`);
    this.name = 'DeadLetterError';
  }
}

export class DeadLetterStore {
  private dir: string;
  private chain: Promise<void> = Promise.resolve();
  private handle: { day: string; fh: FileHandle } | null = null;

  constructor(dataDir: string, private metrics: Metrics, private secrets: Secrets, private now: () => number = Date.now) {
    this.dir = join(dataDir, 'dead-letter');
  }

  get directory(): string {
    return this.dir;
  }

  /** Never throws synchronously; rejects with a DeadLetterError when the line cannot be stored. */
  write(entry: DeadLetterInput): Promise<void> {
    let line: string;
    let time: number;
    try {
      time = this.now();
      line = this.secrets.scrub(serialiseEntry(new Date(time).toISOString(), entry));
      this.metrics.deadLetters.inc({ component: entry.component, reason: entry.reason });
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const day = new Date(time).toISOString().slice(0, 10);
    const task = this.chain.then(() => this.append(day, line + '\n'));
    this.chain = task.catch(() => undefined);
    return task;
  }

  private async append(day: string, line: string): Promise<void> {
    const path = join(this.dir, `${day}.ndjson`);
    try {
      if (!this.handle || this.handle.day !== day) {
        const old = this.handle;
        this.handle = null;
        await old?.fh.close();
        await ensurePrivateDir(this.dir);
        const fh = await open(path, 'a', PRIVATE_FILE_MODE);
        await tightenFileMode(fh);
        this.handle = { day, fh };
      }
      await this.handle.fh.write(line);
      await this.handle.fh.datasync();
    } catch (err) {
      throw new DeadLetterError(path, (err as NodeJS.ErrnoException).code, err);
    }
  }

  async close(): Promise<void> {
    await this.chain;
    await this.handle?.fh.close();
    this.handle = null;
  }
}

/** One NDJSON line; a payload without a JSON form is replaced by a bounded preview, then by a placeholder. */
function serialiseEntry(time: string, entry: DeadLetterInput): string {
  const head = { time, component: entry.component, reason: entry.reason, detail: entry.detail, kind: entry.kind, context: entry.context };
  const whole = tryStringify({ ...head, payload: entry.payload });
  if ('json' in whole) return whole.json;
  const preview = tryStringify({ ...head, payloadTruncated: true, payloadError: whole.error, payload: truncatedPreview(entry.payload) });
  if ('json' in preview) return preview.json;
  const bare = tryStringify({ ...head, context: undefined, payloadTruncated: true, payloadError: whole.error, payload: '[unserialisable payload]' });
  return 'json' in bare ? bare.json : JSON.stringify({ time, component: String(entry.component), reason: String(entry.reason), payload: '[unserialisable entry]' });
}
