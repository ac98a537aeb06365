// `zsf verify`: checks an archive against its manifests and signed heads. Pure over an
// ArchiveStore (a listing and an object reader); never throws on what it reads: every problem
// is a finding naming the object key.

import { entryHash, GENESIS_HASH, INTEGRITY_DIR, joinKey, parseManifest, sha256Hex, type ManifestEntry } from './chain.js';
import { headSignatureProblem, parseSignedHead, type PublicKeyEntry, type SignedHead } from './signer.js';
import type { ArchiveStore, Retention } from './store.js';

export type FindingKind =
  | 'edited'
  | 'missing'
  | 'inserted_or_reordered'
  | 'truncated_tail'
  | 'bad_signature'
  | 'unreadable_manifest'
  | 'foreign_object'
  | 'duplicate_records';

/** Findings that still leave the chain whole. */
export const ALLOWED_FINDINGS: ReadonlySet<FindingKind> = new Set(['duplicate_records']);

export interface Finding {
  kind: FindingKind;
  key: string;
  chain?: string;
  seq?: number;
  detail: string;
}

export interface SignedHeadStatus {
  seq: number;
  time: string;
  keyId: string;
  source: string;
  valid: boolean;
}

export interface ChainReport {
  chain: string;
  entries: number;
  lastSeq: number;
  records: number;
  duplicateRecords: number;
  bytes: number;
  /** Highest seq covered by a valid signed head (0: none). */
  signedSeq: number;
  /** Entries after the last valid signed head: whole, but not yet signed. */
  unsignedTail: number;
  heads: SignedHeadStatus[];
  /** Records per UTC day of their first record time. */
  recordsPerDay: Record<string, number>;
  retention?: Retention & { key: string };
  whole: boolean;
}

export interface VerifyReport {
  location: string;
  verifiedAt: string;
  whole: boolean;
  objects: number;
  bytesRead: number;
  chains: ChainReport[];
  findings: Finding[];
}

export interface VerifyOptions {
  keys: readonly PublicKeyEntry[];
  /** Signed heads held elsewhere (e.g. the zsf.integrity events in the SIEM), with where they came from. */
  extraHeads?: readonly { signed: SignedHead; source: string }[];
  /** Objects read in parallel. */
  concurrency?: number;
}

const MANIFEST_NAME = /^(\d{1,15})\.json$/;

interface ChainFiles {
  manifests: Map<number, string[]>;
  heads: string[];
}

async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

async function readText(store: ArchiveStore, key: string): Promise<{ text: string } | { problem: string }> {
  try {
    const b = await store.get(key);
    return b ? { text: b.toString('utf8') } : { problem: 'disappeared while verifying' };
  } catch (err) {
    return { problem: `unreadable: ${(err as Error).message}` };
  }
}

export async function verifyArchive(store: ArchiveStore, opts: VerifyOptions): Promise<VerifyReport> {
  const findings: Finding[] = [];
  const integrityPrefix = `${joinKey(store.root, INTEGRITY_DIR)}/`;
  const chains = new Map<string, ChainFiles>();
  const dataKeys = new Map<string, number>();
  let objects = 0;
  let bytesRead = 0;

  for await (const o of store.list()) {
    objects++;
    if (!o.key.startsWith(integrityPrefix)) {
      dataKeys.set(o.key, o.size);
      continue;
    }
    const parts = o.key.slice(integrityPrefix.length).split('/');
    const chainName = parts[0]!;
    const files = chains.get(chainName) ?? { manifests: new Map<number, string[]>(), heads: [] };
    const m = MANIFEST_NAME.exec(parts[parts.length - 1] ?? '');
    if (parts.length === 2 && m) {
      const seq = Number(m[1]);
      files.manifests.set(seq, [...(files.manifests.get(seq) ?? []), o.key]);
    } else if (parts.length === 3 && parts[1] === 'heads' && m) files.heads.push(o.key);
    else {
      findings.push({ kind: 'foreign_object', key: o.key, detail: 'not a manifest or signed head, inside the integrity folder' });
      continue;
    }
    chains.set(chainName, files);
  }

  const referenced = new Set<string>();
  const reports: ChainReport[] = [];
  /** Findings of manifests that are gone or unreadable: an object no manifest names may be theirs. */
  const lostManifests: Finding[] = [];
  const report = (f: Finding, lost = false) => {
    findings.push(f);
    if (lost) lostManifests.push(f);
  };

  for (const [chain, files] of [...chains].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const entries = new Map<number, { entry: ManifestEntry; key: string; hash: string }>();
    const unreadable = new Set<number>();
    const texts = new Map<string, Awaited<ReturnType<typeof readText>>>();
    const manifestKeys = [...files.manifests.values()].flat();
    await pool(manifestKeys, opts.concurrency ?? 8, async (key) => void texts.set(key, await readText(store, key)));
    for (const [seq, keys] of [...files.manifests].sort(([a], [b]) => a - b)) {
      for (const key of keys) {
        const r = texts.get(key)!;
        if ('problem' in r) {
          report({ kind: 'unreadable_manifest', key, chain, seq, detail: r.problem }, true);
          unreadable.add(seq);
          continue;
        }
        bytesRead += Buffer.byteLength(r.text);
        const p = parseManifest(r.text);
        if ('problem' in p) {
          report({ kind: 'unreadable_manifest', key, chain, seq, detail: p.problem }, true);
          unreadable.add(seq);
        } else if (p.entry.seq !== seq || p.entry.chain !== chain) {
          report({ kind: 'inserted_or_reordered', key, chain, seq, detail: `manifest stored as ${chain} #${seq} describes ${p.entry.chain} #${p.entry.seq}` }, true);
          unreadable.add(seq);
        } else entries.set(seq, { entry: p.entry, key, hash: entryHash(p.entry) });
      }
    }
    const lastSeq = Math.max(0, ...files.manifests.keys());
    // Links: every seq from 1 to the last present, each naming its predecessor's hash.
    for (let seq = 1; seq <= lastSeq; seq++) {
      const e = entries.get(seq);
      if (!e) {
        if (!unreadable.has(seq)) {
          report({ kind: 'missing', key: `${integrityPrefix}${chain}/${String(seq).padStart(12, '0')}.json`, chain, seq, detail: `manifest #${seq} is missing (sequence gap)` }, true);
        }
        continue;
      }
      const expectedPrev = seq === 1 ? GENESIS_HASH : entries.get(seq - 1)?.hash;
      if (expectedPrev !== undefined && e.entry.prev !== expectedPrev) {
        findings.push({ kind: 'inserted_or_reordered', key: e.key, chain, seq, detail: `previous-hash does not match manifest #${seq - 1}` });
      }
    }

    // Objects: bytes hashed against their entries, in parallel.
    const byHash = new Map<string, number>();
    for (const [seq, e] of entries) byHash.set(e.entry.sha256, seq);
    const list = [...entries.values()].sort((a, b) => a.entry.seq - b.entry.seq);
    await pool(list, opts.concurrency ?? 8, async ({ entry }) => {
      referenced.add(entry.key);
      let bytes: Buffer | undefined;
      try {
        bytes = await store.get(entry.key);
      } catch (err) {
        findings.push({ kind: 'missing', key: entry.key, chain, seq: entry.seq, detail: `unreadable: ${(err as Error).message}` });
        return;
      }
      if (!bytes) {
        findings.push({ kind: 'missing', key: entry.key, chain, seq: entry.seq, detail: `object of manifest #${entry.seq} is missing` });
        return;
      }
      bytesRead += bytes.length;
      const sha = sha256Hex(bytes);
      if (sha === entry.sha256) return;
      const other = byHash.get(sha);
      if (other !== undefined) findings.push({ kind: 'inserted_or_reordered', key: entry.key, chain, seq: entry.seq, detail: `holds the bytes of #${other}` });
      else findings.push({ kind: 'edited', key: entry.key, chain, seq: entry.seq, detail: `SHA-256 ${sha} differs from the manifest's ${entry.sha256}` });
    });

    // Records: counts per day and redelivered records (allowed).
    const seen = new Set<string>();
    const recordsPerDay: Record<string, number> = {};
    let records = 0;
    let duplicateRecords = 0;
    let bytes = 0;
    for (const { entry, key } of list) {
      records += entry.count;
      bytes += entry.bytes;
      const day = Number.isFinite(entry.firstTime) && entry.count ? new Date(entry.firstTime).toISOString().slice(0, 10) : 'unknown';
      recordsPerDay[day] = (recordsPerDay[day] ?? 0) + entry.count;
      let dup = 0;
      for (let i = 0; i < entry.idPrints.length; i += 16) {
        const p = entry.idPrints.slice(i, i + 16);
        if (seen.has(p)) dup++;
        else seen.add(p);
      }
      if (dup) {
        duplicateRecords += dup;
        findings.push({ kind: 'duplicate_records', key, chain, seq: entry.seq, detail: `${dup} of ${entry.count} records were already in earlier objects (redelivery; allowed)` });
      }
    }

    // Signed heads found beside the chain, and any given from elsewhere.
    const heads: SignedHeadStatus[] = [];
    let signedSeq = 0;
    const candidates: { signed?: SignedHead; problem?: string; key: string; source: string }[] = [];
    for (const key of files.heads.sort()) {
      const r = await readText(store, key);
      const p = 'problem' in r ? r : parseSignedHead(r.text);
      candidates.push('signed' in p ? { signed: p.signed, key, source: key } : { problem: p.problem, key, source: key });
    }
    for (const h of opts.extraHeads ?? []) if (h.signed.head.chain === chain) candidates.push({ signed: h.signed, key: h.source, source: h.source });
    for (const c of candidates) {
      if (!c.signed) {
        findings.push({ kind: 'unreadable_manifest', key: c.key, chain, detail: `signed head: ${c.problem}` });
        continue;
      }
      const h = c.signed.head;
      const problem = h.chain !== chain ? `head of chain ${h.chain} stored under ${chain}` : headSignatureProblem(c.signed, opts.keys);
      heads.push({ seq: h.seq, time: new Date(h.time).toISOString(), keyId: h.keyId, source: c.source, valid: !problem });
      if (problem) {
        findings.push({ kind: 'bad_signature', key: c.key, chain, seq: h.seq, detail: problem });
        continue;
      }
      const e = entries.get(h.seq);
      if (h.seq > lastSeq) {
        findings.push({ kind: 'truncated_tail', key: c.key, chain, seq: h.seq, detail: `a valid signed head covers #${h.seq}, the archive ends at #${lastSeq}` });
      } else if (e && e.hash !== h.hash) {
        findings.push({ kind: 'inserted_or_reordered', key: e.key, chain, seq: h.seq, detail: `manifest #${h.seq} differs from the one the signed head ${c.key} covers` });
      } else if (e) signedSeq = Math.max(signedSeq, h.seq);
    }
    heads.sort((a, b) => a.seq - b.seq);

    const last = list[list.length - 1];
    const retention = last && store.retention ? await store.retention(last.entry.key).catch(() => undefined) : undefined;
    reports.push({
      chain,
      entries: entries.size,
      lastSeq,
      records,
      duplicateRecords,
      bytes,
      signedSeq,
      unsignedTail: lastSeq - signedSeq,
      heads,
      recordsPerDay,
      ...(last && retention && (retention.mode || retention.retainUntil) ? { retention: { key: last.entry.key, ...retention } } : {}),
      whole: false,
    });
  }

  // Given heads of chains that have nothing in the archive at all.
  for (const h of opts.extraHeads ?? []) {
    if (chains.has(h.signed.head.chain)) continue;
    const problem = headSignatureProblem(h.signed, opts.keys);
    findings.push(problem ? { kind: 'bad_signature', key: h.source, chain: h.signed.head.chain, detail: problem } : { kind: 'truncated_tail', key: h.source, chain: h.signed.head.chain, seq: h.signed.head.seq, detail: `a valid signed head covers #${h.signed.head.seq}; the archive has no manifest of this chain` });
  }

  // Objects no manifest names. With a manifest missing or unreadable they may be its object: listed there, not as foreign.
  const unnamed = [...dataKeys.keys()].filter((k) => !referenced.has(k)).sort();
  if (lostManifests.length && unnamed.length) {
    for (const f of lostManifests) f.detail += `; objects no manifest names (one may be its object): ${unnamed.join(', ')}`;
  } else {
    for (const k of unnamed) findings.push({ kind: 'foreign_object', key: k, detail: 'no manifest names this object' });
  }

  for (const r of reports) r.whole = !findings.some((f) => f.chain === r.chain && !ALLOWED_FINDINGS.has(f.kind));
  const order = (f: Finding) => `${f.chain ?? ''}\u0000${String(f.seq ?? 0).padStart(15, '0')}\u0000${f.key}`;
  findings.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  return {
    location: store.location,
    verifiedAt: new Date().toISOString(),
    whole: !findings.some((f) => !ALLOWED_FINDINGS.has(f.kind)),
    objects,
    bytesRead,
    chains: reports,
    findings,
  };
}
