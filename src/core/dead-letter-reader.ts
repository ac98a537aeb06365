// Reads the dead-letter store back (zsf dead-letters list|show|replay): parses the daily
// NDJSON files, gives every letter a stable id, reads the replay marks and says, per letter,
// whether it is pending, replayed, failed again, or cannot be replayed at all.
// Reading never fails on a bad line: torn or corrupt lines are returned as such, with their
// place, so that one damaged line cannot hide the others. Files are streamed line by line
// (a day of an outage can be gigabytes), and `readLetterIndex` keeps no payloads.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PipelineGraph as Graph } from './pipeline/types.js';
import { parseDuration } from '../util/units.js';
import type { DeadLetterKind } from './dead-letter.js';

/** Daily dead-letter files; anything else in the folder (replayed.ndjson, a lock) is not a letter. */
const DAY_FILE = /^\d{4}-\d{2}-\d{2}\.ndjson$/;
export const REPLAY_MARKS_FILE = 'replayed.ndjson';

/** What list, filters and states need: a letter without its payload. */
export interface LetterSummary {
  /** First 12 hex digits of the SHA-256 of the line: stable across runs and file edits. */
  id: string;
  file: string;
  /** 1-based line number in `file`. */
  line: number;
  time: string;
  component: string;
  reason: string;
  detail?: string;
  kind: DeadLetterKind;
  /** `context.replayOf`: the letter whose replay failed and wrote this one. */
  replayOf?: string;
  /** Why the payload cannot be sent again as a record or event, when it cannot. */
  payloadProblem?: string;
}

export interface DeadLetter extends LetterSummary {
  context?: Record<string, unknown>;
  payload: unknown;
}

export interface CorruptLine {
  file: string;
  line: number;
  error: string;
}

export type ReplayOutcome = 'delivered' | 'dropped' | 'failed';

export interface ReplayMark {
  id: string;
  time: string;
  outcome: ReplayOutcome;
  detail?: string;
}

export type LetterState = 'pending' | 'replayed' | 'failed' | 'not_replayable';

export interface LetterStatus {
  state: LetterState;
  /** Why it is not replayable, or what happened at its last replay. */
  why?: string;
  /** Letters written when replaying this one failed again (they carry `context.replayOf`). */
  supersededBy?: string[];
}

export function letterId(line: string): string {
  return createHash('sha256').update(line).digest('hex').slice(0, 12);
}

const KINDS: readonly string[] = ['record', 'event', 'page', 'buffer_bytes'];

/** Parses one line; returns the error text for a line that is not a dead letter. */
export function parseLetter(text: string, file: string, line: number): DeadLetter | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return `not JSON (${(err as Error).message})`;
  }
  if (!isObject(v)) return 'not a JSON object';
  if (typeof v.time !== 'string' || Number.isNaN(Date.parse(v.time))) return 'no valid "time"';
  if (typeof v.component !== 'string' || !v.component) return 'no "component"';
  if (typeof v.reason !== 'string') return 'no "reason"';
  if (typeof v.kind !== 'string' || !KINDS.includes(v.kind)) return `unknown "kind" ${JSON.stringify(v.kind)}`;
  if (!('payload' in v)) return 'no "payload"';
  const context = isObject(v.context) ? v.context : undefined;
  const problem = payloadProblem(v.kind as DeadLetterKind, v.payload);
  return {
    id: letterId(text),
    file,
    line,
    time: v.time,
    component: v.component,
    reason: v.reason,
    ...(typeof v.detail === 'string' ? { detail: v.detail } : {}),
    kind: v.kind as DeadLetterKind,
    ...(typeof context?.replayOf === 'string' ? { replayOf: context.replayOf } : {}),
    ...(problem ? { payloadProblem: problem } : {}),
    ...(context ? { context } : {}),
    payload: v.payload,
  };
}

function payloadProblem(kind: DeadLetterKind, p: unknown): string | undefined {
  if (kind === 'record') return isObject(p) ? undefined : 'the record is not a JSON object';
  if (kind !== 'event') return undefined;
  if (!isObject(p) || !isObject(p.meta) || !isObject(p.body) || typeof p.meta.id !== 'string' || typeof p.meta.schema !== 'string') return 'the payload is not an event {meta, body}';
  return undefined;
}

async function dayFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((f) => DAY_FILE.test(f)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/**
 * Streams every dead letter under `dir` in write order (day files, then lines), one at a
 * time; `visit` may be async (replay waits on buffer space). Identical lines (same id) are
 * one letter: the same item, dead-lettered at the same millisecond. Returns the bad lines.
 */
export async function scanDeadLetters(dir: string, visit: (l: DeadLetter) => void | Promise<void>, only?: { file?: string }): Promise<CorruptLine[]> {
  const corrupt: CorruptLine[] = [];
  const seen = new Set<string>();
  for (const file of await dayFiles(dir)) {
    if (only?.file !== undefined && file !== only.file) continue;
    let rest = '';
    let n = 0;
    const take = async (text: string) => {
      n++;
      if (!text.trim()) return;
      const l = parseLetter(text, file, n);
      if (typeof l === 'string') corrupt.push({ file, line: n, error: l });
      else if (!seen.has(l.id)) {
        seen.add(l.id);
        await visit(l);
      }
    };
    for await (const chunk of createReadStream(join(dir, file), { encoding: 'utf8' })) {
      const parts = (rest + (chunk as string)).split('\n');
      rest = parts.pop()!;
      for (const t of parts) await take(t);
    }
    // Every complete line ends with a newline: what is left is torn (a crash mid-write, or
    // a write in progress right now).
    if (rest) corrupt.push({ file, line: n + 1, error: 'incomplete last line (torn write, or a write in progress)' });
  }
  return corrupt;
}

const byTime = (a: LetterSummary, b: LetterSummary) => Date.parse(a.time) - Date.parse(b.time) || (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line);

/** Every letter without its payload and context, oldest first: what list and replay selection need. */
export async function readLetterIndex(dir: string): Promise<{ letters: LetterSummary[]; corrupt: CorruptLine[] }> {
  const letters: LetterSummary[] = [];
  const corrupt = await scanDeadLetters(dir, (l) => {
    const { payload: _payload, context: _context, ...summary } = l;
    letters.push(summary);
  });
  return { letters: letters.sort(byTime), corrupt };
}

/** Every dead letter with its payload, oldest first (by time, then file and line). */
export async function readDeadLetters(dir: string): Promise<{ letters: DeadLetter[]; corrupt: CorruptLine[] }> {
  const letters: DeadLetter[] = [];
  const corrupt = await scanDeadLetters(dir, (l) => void letters.push(l));
  return { letters: letters.sort(byTime), corrupt };
}

/** The newest replay mark per letter id (the marks file is append-only). */
export async function readReplayMarks(dir: string): Promise<{ marks: Map<string, ReplayMark>; corrupt: CorruptLine[] }> {
  const marks = new Map<string, ReplayMark>();
  const corrupt: CorruptLine[] = [];
  let text: string;
  try {
    text = await readFile(join(dir, REPLAY_MARKS_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { marks, corrupt };
    throw err;
  }
  text.split('\n').forEach((t, i) => {
    if (!t.trim()) return;
    try {
      const m = JSON.parse(t) as ReplayMark;
      if (typeof m.id !== 'string' || !['delivered', 'dropped', 'failed'].includes(m.outcome)) throw new Error('not a replay mark');
      marks.set(m.id, m);
    } catch (err) {
      corrupt.push({ file: REPLAY_MARKS_FILE, line: i + 1, error: (err as Error).message });
    }
  });
  return { marks, corrupt };
}

/** Why a letter cannot be sent again, or undefined when it can (given the current config graph). */
export function notReplayable(l: LetterSummary, graph: Graph): string | undefined {
  if (l.kind === 'page') return 'a raw upstream page: the source reads that window again itself (its checkpoint did not move past it)';
  if (l.kind === 'buffer_bytes') return 'damaged disk-buffer bytes: not a complete event';
  const at = graph.kind.get(l.component);
  if (l.kind === 'record' && at !== 'source') return `source "${l.component}" is not in the config`;
  if (l.kind === 'event' && at !== 'transform' && at !== 'sink') return `transform or sink "${l.component}" is not in the config`;
  return l.payloadProblem;
}

/** Every letter's state: replay marks, letters that replaced a failed replay, replayability. */
export function letterStates(letters: LetterSummary[], marks: Map<string, ReplayMark>, graph: Graph): Map<string, LetterStatus> {
  const supersededBy = new Map<string, string[]>();
  for (const l of letters) {
    if (l.replayOf) supersededBy.set(l.replayOf, [...(supersededBy.get(l.replayOf) ?? []), l.id]);
  }
  const out = new Map<string, LetterStatus>();
  for (const l of letters) {
    const mark = marks.get(l.id);
    const newer = supersededBy.get(l.id);
    const cannot = notReplayable(l, graph);
    let s: LetterStatus;
    if (mark && mark.outcome !== 'failed') s = { state: 'replayed', why: `${mark.outcome} ${mark.time}` };
    // Failed again and dead-lettered again: the newer letter stands for it from now on, so a
    // later replay sends only the newer one. Without a newer letter (its write failed) the
    // letter stays pending: nothing may be lost.
    else if (newer) s = { state: 'failed', why: `replay failed again${mark?.detail ? `: ${mark.detail}` : ''}; see ${newer.join(', ')}` };
    else if (cannot) s = { state: 'not_replayable', why: cannot };
    else s = mark ? { state: 'pending', why: `last replay failed: ${mark.detail ?? 'unknown'}` } : { state: 'pending' };
    if (newer) s.supersededBy = newer;
    out.set(l.id, s);
  }
  return out;
}

export interface LetterFilter {
  component?: string[];
  reason?: string[];
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
}

export function matchesFilter(l: LetterSummary, f: LetterFilter): boolean {
  const t = Date.parse(l.time);
  return (
    (!f.component?.length || f.component.includes(l.component)) &&
    (!f.reason?.length || f.reason.includes(l.reason)) &&
    (f.since === undefined || t >= f.since) &&
    (f.until === undefined || t < f.until)
  );
}

/**
 * A --since/--until value: an ISO 8601 date or date-time ("2026-11-30", "2026-11-30T10:00:00Z"),
 * or a duration meaning that long ago ("90m", "2h", "7d").
 */
export function parseTimeArg(value: string, now: number): number {
  const ago = parseDuration(value);
  if (ago !== undefined && /[a-z]$/i.test(value.trim())) return now - ago;
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim())) {
    const t = Date.parse(value.trim());
    if (!Number.isNaN(t)) return t;
  }
  throw new Error(`invalid time "${value}": use an ISO 8601 date or date-time (2026-11-30, 2026-11-30T10:00:00Z) or a duration ago (90m, 2h, 7d)`);
}

/** The letter with this id, or the only one whose id starts with it. */
export function findLetter<L extends LetterSummary>(letters: L[], idOrPrefix: string): L {
  const want = idOrPrefix.trim().toLowerCase();
  const exact = letters.find((l) => l.id === want);
  if (exact) return exact;
  const hits = want.length >= 4 ? letters.filter((l) => l.id.startsWith(want)) : [];
  if (hits.length === 1) return hits[0]!;
  if (hits.length > 1) throw new Error(`dead letter id "${idOrPrefix}" is ambiguous: ${hits.map((l) => l.id).join(', ')}`);
  throw new Error(`no dead letter with id "${idOrPrefix}" (see zsf dead-letters list)`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
