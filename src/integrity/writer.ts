// The writing side of the tamper-evident archive, shared by the s3 and file sinks.
//
// Order of effects for one object (docs/integrity.md, "Crash ordering"):
//   1. its key is recorded as pending in the local state (write-ahead);
//   2. the object is stored;
//   3. it gets the next seq of its chain (in the order objects finish storing: a failed
//      attempt never holds a seq, so concurrency and retries cannot fork or hole the chain);
//   4. manifests are written strictly in seq order (whoever flushes writes every earlier
//      one first), so the archive always holds a gap-free prefix of the chain;
//   5. the local head advances and the pending key is dropped.
// The sink reports the batch delivered only after 4. After a crash, the chain continues from
// the local head plus every manifest found after it in the archive; pending objects that no
// manifest names were never acknowledged (their records come again) and are deleted.

import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { writeFileAtomic } from '../core/fs-atomic.js';
import { canonicalJson, entryHash, genesisHead, headKey, manifestKey, nextEntry, parseManifest, sha256Hex, summariseRecords, type ChainHead, type ManifestEntry } from './chain.js';
import type { IntegrityConfig } from './config.js';
import { loadSigningKey, signHead, type SignedHead } from './signer.js';
import type { ArchiveStore } from './store.js';

export interface ChainedObject {
  chain: string;
  key: string;
  bytes: Buffer;
  records: readonly { id: string; time: number }[];
  /** Same value on every attempt of the same group of records (so a retry reuses the seq it was given). */
  attemptId: string;
}

export interface IntegrityWriter {
  /** Stores the object through `put` unless an earlier attempt did, chains it, writes its manifest. Resolves when the manifest is in the archive. */
  store(obj: ChainedObject, put: () => Promise<void>): Promise<void>;
  /** Signs every chain head that has unsigned entries, writes the state, stops the timer. */
  close(): Promise<void>;
}

interface PersistedState {
  v: 1;
  chain: string;
  head: ChainHead;
  pending: string[];
  signed: { seq: number; time: number };
}

interface Chain {
  id: string;
  ready: Promise<void>;
  /** Last seq assigned (its manifest may not be written yet). */
  assigned: ChainHead;
  /** Last seq whose manifest is in the archive. */
  durable: ChainHead;
  unwritten: ManifestEntry[];
  pending: Set<string>;
  signed: { seq: number; time: number };
  unsignedSince: number | undefined;
  tail: Promise<unknown>;
}

const MEMO_LIMIT = 4096;

export function createIntegrityWriter(opts: {
  sink: string;
  dataDir: string;
  store: ArchiveStore;
  config: IntegrityConfig;
  logger: Logger;
  onSignedHead?: (head: SignedHead) => void;
  now?: () => number;
}): IntegrityWriter {
  const { store, config, logger } = opts;
  const now = opts.now ?? Date.now;
  const key: KeyObject | undefined = config.signingKey ? loadSigningKey(config.signingKey) : undefined;
  const chains = new Map<string, Chain>();
  const memo = new Map<string, ManifestEntry>();
  const stateDir = join(opts.dataDir, 'integrity', opts.sink.replace(/[^A-Za-z0-9_.-]/g, '_'));
  const statePath = (chain: string) => join(stateDir, `${chain}.json`);

  /** Runs `fn` after everything queued on the chain before it. */
  function serial<T>(c: Chain, fn: () => Promise<T>): Promise<T> {
    const run = c.tail.then(fn, fn);
    c.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * `durable: false` (rename, no fsync) suits the head: a process crash keeps the file, and a
   * power loss only rolls it back, after which the manifests in the archive are read again. The
   * pending list is written durably before an upload, so no crash can forget an object it stored.
   */
  async function save(c: Chain, durable = false): Promise<void> {
    const state: PersistedState = { v: 1, chain: c.id, head: c.durable, pending: [...c.pending], signed: c.signed };
    await writeFileAtomic(statePath(c.id), JSON.stringify(state) + '\n', { durable });
  }

  async function load(chain: string): Promise<PersistedState | undefined> {
    let text: string;
    try {
      text = await readFile(statePath(chain), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const s = JSON.parse(text) as PersistedState;
      if (s.v === 1 && Number.isSafeInteger(s.head?.seq) && typeof s.head.hash === 'string' && Array.isArray(s.pending)) return s;
    } catch {
      // fall through
    }
    // Re-reading the chain from seq 1 in the archive is slow but exact.
    logger.warn({ file: statePath(chain) }, 'integrity: chain state unreadable; re-reading the chain from the archive');
    return undefined;
  }

  /** Continues from the local head plus every manifest already in the archive after it; removes objects a crash left without a manifest. */
  async function reconcile(c: Chain): Promise<void> {
    const state = await load(c.id);
    let head = state?.head ?? genesisHead();
    const named = new Set<string>();
    for (;;) {
      const mk = manifestKey(store.root, c.id, head.seq + 1);
      const text = await store.get(mk);
      if (!text) break;
      const parsed = parseManifest(text.toString('utf8'));
      if ('problem' in parsed || parsed.entry.seq !== head.seq + 1 || parsed.entry.prev !== head.hash || parsed.entry.chain !== c.id) {
        throw new Error(`integrity: ${mk} in ${store.location} does not continue chain ${c.id} at seq ${head.seq}; refusing to write over it (run zsf verify)`);
      }
      head = { seq: parsed.entry.seq, hash: entryHash(parsed.entry) };
      named.add(parsed.entry.key);
    }
    for (const k of state?.pending ?? []) {
      if (named.has(k)) continue;
      await store.delete(k); // never acknowledged: its records are delivered again
      logger.info({ sink: opts.sink, key: k }, 'integrity: removed an object stored before a crash without a manifest');
    }
    c.assigned = head;
    c.durable = head;
    c.signed = state?.signed ?? { seq: 0, time: 0 };
    if (head.seq > c.signed.seq) c.unsignedSince = now();
    await save(c);
  }

  function chainOf(id: string): Chain {
    let c = chains.get(id);
    if (!c) {
      c = { id, ready: Promise.resolve(), assigned: genesisHead(), durable: genesisHead(), unwritten: [], pending: new Set(), signed: { seq: 0, time: 0 }, unsignedSince: undefined, tail: Promise.resolve() };
      const chain = c;
      c.ready = serial(c, () => reconcile(chain));
      // A failed reconcile (store unreachable) is tried again by the next attempt.
      c.ready.catch(() => chains.delete(id));
      chains.set(id, c);
    }
    return c;
  }

  async function sign(c: Chain, force: boolean): Promise<void> {
    if (!key || c.durable.seq <= c.signed.seq) return;
    const due = force || c.durable.seq - c.signed.seq >= config.signEvery.objects || (c.unsignedSince !== undefined && now() - c.unsignedSince >= config.signEvery.interval);
    if (!due) return;
    const signed = signHead({ chain: c.id, seq: c.durable.seq, hash: c.durable.hash, time: now() }, key);
    await store.put(headKey(store.root, c.id, signed.head.seq), Buffer.from(JSON.stringify(signed) + '\n'));
    c.signed = { seq: signed.head.seq, time: signed.head.time };
    c.unsignedSince = undefined;
    logger.info({ sink: opts.sink, event: 'zsf.integrity', head: signed.head, signature: signed.signature }, 'integrity: signed chain head');
    opts.onSignedHead?.(signed);
  }

  async function flushThrough(c: Chain, seq: number): Promise<void> {
    while (c.durable.seq < seq) {
      const e = c.unwritten[0]!;
      await store.put(manifestKey(store.root, c.id, e.seq), Buffer.from(canonicalJson(e) + '\n'));
      c.unwritten.shift();
      c.durable = { seq: e.seq, hash: entryHash(e) };
      c.pending.delete(e.key);
      c.unsignedSince ??= now();
    }
    await sign(c, false);
    await save(c);
  }

  const timer = setInterval(() => {
    for (const c of chains.values()) {
      if (c.unsignedSince === undefined || now() - c.unsignedSince < config.signEvery.interval) continue;
      serial(c, () => sign(c, false).then(() => save(c))).catch((err: unknown) => logger.warn({ sink: opts.sink, chain: c.id, err: (err as Error).message }, 'integrity: signing the head failed; retried later'));
    }
  }, Math.max(1000, Math.min(config.signEvery.interval / 4, 60_000)));
  timer.unref();

  return {
    async store(obj, put) {
      const c = chainOf(obj.chain);
      await c.ready;
      let entry = memo.get(obj.attemptId);
      if (!entry) {
        await serial(c, async () => {
          c.pending.add(obj.key);
          await save(c, true);
        });
        try {
          await put();
        } catch (err) {
          // A failed attempt may still have stored its object (a timeout after the store took it).
          // The retry stores a new one; remove this one now if the store answers, else at restart.
          await store.delete(obj.key).then(
            () => serial(c, async () => void c.pending.delete(obj.key)),
            () => undefined,
          );
          throw err;
        }
        const sha256 = sha256Hex(obj.bytes);
        const summary = summariseRecords(obj.records);
        entry = await serial(c, async () => {
          const e = nextEntry(c.assigned, c.id, { key: obj.key, bytes: obj.bytes.length, sha256, records: summary, storedAt: now() });
          c.assigned = { seq: e.seq, hash: entryHash(e) };
          c.unwritten.push(e);
          return e;
        });
        memo.set(obj.attemptId, entry);
        if (memo.size > MEMO_LIMIT) memo.delete(memo.keys().next().value!);
      }
      const seq = entry.seq;
      await serial(c, () => flushThrough(c, seq));
      memo.delete(obj.attemptId);
    },
    async close() {
      clearInterval(timer);
      for (const c of chains.values()) {
        await serial(c, async () => {
          await sign(c, true);
          await save(c);
        }).catch((err: unknown) => logger.warn({ sink: opts.sink, chain: c.id, err: (err as Error).message }, 'integrity: could not sign the final head'));
      }
    },
  };
}
