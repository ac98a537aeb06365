// NDJSON file sink: one event body per line. Each batch is appended and fsynced before it
// is acknowledged, so "accepted" means on disk. Rotates by size: the full file is renamed
// with a timestamp and sequence suffix and a new one is started (nothing is deleted).

import { mkdir, open, rename, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { z } from 'zod';
import { defineSink } from '../core/plugin.js';
import type { SinkEvent } from '../core/types.js';
import { size } from '../config/units.js';
import { randomUUID } from 'node:crypto';
import { integrityOption } from '../integrity/config.js';
import { dirStore } from '../integrity/dir-store.js';
import { chainedObject, createSinkIntegrity, integrityChainOf } from '../integrity/sink-hook.js';
import type { IntegrityWriter } from '../integrity/writer.js';
import { TextBuffer } from './shared/text-buffer.js';

/** One line per event: its JSON text as serialised in fan-out (with includeMeta: {"meta":…,"event":…}). */
export function encodeNdjson(events: SinkEvent[], includeMeta: boolean): Buffer {
  const metas = includeMeta ? events.map((e) => `{"meta":${JSON.stringify(e.meta)},"event":`) : undefined;
  let bytes = events.length; // newlines
  events.forEach((e, i) => (bytes += e.bytes + (metas ? Buffer.byteLength(metas[i]!) + 1 : 0)));
  const out = new TextBuffer(bytes);
  events.forEach((e, i) => {
    if (metas) out.put(metas[i]!);
    out.putJson(e);
    if (metas) out.put('}');
    out.newline();
  });
  return out.done();
}

/**
 * A crash in the middle of a write can leave a partial last line. It was never acked, so it
 * will be written again whole; cut the fragment so the file stays valid NDJSON.
 */
async function dropTornLine(path: string): Promise<void> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    const { size } = await fh.stat();
    if (size === 0) return;
    const tail = Buffer.alloc(Math.min(size, 1024 * 1024));
    await fh.read(tail, 0, tail.length, size - tail.length);
    if (tail[tail.length - 1] === 0x0a) return;
    const lastNewline = tail.lastIndexOf(0x0a);
    await fh.truncate(lastNewline < 0 ? Math.max(0, size - tail.length) : size - tail.length + lastNewline + 1);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

export const fileSink = defineSink({
  type: 'file',
  description: 'Append events as NDJSON to a local file (fsynced before ack), rotating by size',
  options: {
    path: z.string().min(1).describe('Output file, relative to the config file; rotated files get a -<time>-<n> suffix'),
    rotateBytes: size({ min: 1024 }).default(100 * 1024 * 1024).describe('Start a new file when the current one reaches this size'),
    includeMeta: z.boolean().default(false).describe('Write {"meta":…,"event":…} instead of the bare event'),
    integrity: integrityOption.describe('With enabled: true, each batch is stored as its own file per chain under <path without extension>/ with manifests beside it (docs/integrity.md); path is then not appended to'),
  },
  defaults: { maxEvents: 1000, maxBytes: 4 * 1024 * 1024, maxWaitMs: 200, concurrency: 1 },
  create(config, env) {
    const path = env.resolvePath(config.path);
    let fh: FileHandle | null = null;
    let size = 0;
    let rotations = 0;
    const labels = { sink: config.id };
    const archiveDir = join(dirname(path), basename(path, extname(path)));
    const archive = dirStore(archiveDir);
    const integrity = createSinkIntegrity(config.integrity, env, () => archive);

    async function ensureOpen(): Promise<FileHandle> {
      if (fh) return fh;
      await mkdir(dirname(path), { recursive: true });
      await dropTornLine(path);
      fh = await open(path, 'a');
      size = (await stat(path)).size;
      return fh;
    }

    async function rotate(): Promise<void> {
      await fh?.close();
      fh = null;
      const ext = extname(path);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      await rename(path, join(dirname(path), `${basename(path, ext)}-${stamp}-${++rotations}${ext}`));
    }

    /** Integrity on: one immutable file per chain and batch, so each is one link of its chain. */
    async function sendChained(writer: IntegrityWriter, events: SinkEvent[]) {
      const groups = new Map<string, SinkEvent[]>();
      for (const e of events) {
        const chain = integrityChainOf(e);
        let g = groups.get(chain);
        if (!g) groups.set(chain, (g = []));
        g.push(e);
      }
      for (const [chain, group] of groups) {
        const bytes = Buffer.from(encodeNdjson(group, config.includeMeta));
        const key = `${chain}/${new Date().toISOString().replace(/[-:]/g, '').replace(/\.(\d{3})Z$/, '$1Z')}-${randomUUID()}.ndjson`;
        await writer.store(chainedObject(group, key, bytes), () => archive.put(key, bytes));
        env.metrics.sinkBytesSent.inc(labels, bytes.length);
        env.metrics.sinkBytesUncompressed.inc(labels, bytes.length);
      }
      return { kind: 'ok' as const };
    }

    return {
      async send(events) {
        if (integrity) return sendChained(integrity, events);
        const text = encodeNdjson(events, config.includeMeta);
        const bytes = text.length;
        await ensureOpen();
        if (size > 0 && size + bytes > config.rotateBytes) await rotate();
        const f = await ensureOpen();
        await f.write(text);
        await f.datasync();
        size += bytes;
        env.metrics.sinkBytesSent.inc(labels, bytes);
        env.metrics.sinkBytesUncompressed.inc(labels, bytes);
        return { kind: 'ok' };
      },
      async close() {
        await integrity?.close();
        await fh?.close();
        fh = null;
      },
    };
  },
});
