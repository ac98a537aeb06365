// Dead-letter store: NDJSON files under dataDir/dead-letter/, one per UTC day.
// Each line: {"time","component","reason","kind","payload"}; see docs/ARCHITECTURE.md.
// Appends are serialised and fsynced before the caller is told it is stored, because a
// dead letter replaces delivery: the caller acks the event once this resolves.

import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Metrics } from '../observability/metrics.js';
import type { Secrets } from '../observability/secrets.js';

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

  write(entry: DeadLetterInput): Promise<void> {
    const time = this.now();
    const line = this.secrets.scrub(
      JSON.stringify({
        time: new Date(time).toISOString(),
        component: entry.component,
        reason: entry.reason,
        detail: entry.detail,
        kind: entry.kind,
        context: entry.context,
        payload: entry.payload,
      }),
    );
    this.metrics.deadLetters.inc({ component: entry.component, reason: entry.reason });
    const task = this.chain.then(() => this.append(new Date(time).toISOString().slice(0, 10), line + '\n'));
    this.chain = task.catch(() => undefined);
    return task;
  }

  private async append(day: string, line: string): Promise<void> {
    if (!this.handle || this.handle.day !== day) {
      await this.handle?.fh.close();
      await mkdir(this.dir, { recursive: true });
      this.handle = { day, fh: await open(join(this.dir, `${day}.ndjson`), 'a') };
    }
    await this.handle.fh.write(line);
    await this.handle.fh.datasync();
  }

  async close(): Promise<void> {
    await this.chain;
    await this.handle?.fh.close();
    this.handle = null;
  }
}
