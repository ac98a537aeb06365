// `zsf dead-letters list|show|replay`: read the dead-letter store, look at one letter, and send
// letters through the configured pipeline again once their cause is fixed.
// The commands are plain functions over a LoadedConfig and an output, so tests run them in-process.

import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { pino } from 'pino';
import { loadConfigFile, type LoadedConfig } from '../app/config.js';
import {
  findLetter,
  letterStates,
  matchesFilter,
  parseTimeArg,
  readLetterIndex,
  readReplayMarks,
  scanDeadLetters,
  type CorruptLine,
  type DeadLetter,
  type LetterFilter,
} from '../core/dead-letter-reader.js';
import { replayDeadLetters, type ReplayOptions, type ReplayReport } from '../app/replay.js';

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

const console_: Output = { out: (l) => console.log(l), err: (l) => console.error(l) };

export interface FilterArgs {
  component?: string[];
  reason?: string[];
  since?: string;
  until?: string;
}

export function toFilter(a: FilterArgs, now = Date.now()): LetterFilter {
  return {
    ...(a.component?.length ? { component: a.component } : {}),
    ...(a.reason?.length ? { reason: a.reason } : {}),
    ...(a.since !== undefined ? { since: parseTimeArg(a.since, now) } : {}),
    ...(a.until !== undefined ? { until: parseTimeArg(a.until, now) } : {}),
  };
}

function dirOf(loaded: LoadedConfig): string {
  return join(loaded.config.dataDir, 'dead-letter');
}

function reportCorrupt(corrupt: CorruptLine[], out: Output): void {
  for (const c of corrupt) out.err(`corrupt dead-letter line ${c.file}:${c.line}: ${c.error} (skipped; the file is left as it is)`);
}

function shorten(s: string | undefined, max = 100): string {
  const one = (s ?? '').replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** One line per dead letter, oldest first; `json`: one JSON object per line (without the payload). */
export async function listCommand(loaded: LoadedConfig, filter: LetterFilter, opts: { json?: boolean }, out: Output = console_): Promise<number> {
  const dir = dirOf(loaded);
  const { letters, corrupt } = await readLetterIndex(dir);
  const marks = await readReplayMarks(dir);
  const states = letterStates(letters, marks.marks, loaded.graph);
  const shown = letters.filter((l) => matchesFilter(l, filter));
  for (const l of shown) {
    const s = states.get(l.id)!;
    if (opts.json) {
      out.out(JSON.stringify({ id: l.id, time: l.time, component: l.component, reason: l.reason, kind: l.kind, state: s.state, ...(s.why ? { why: s.why } : {}), detail: l.detail, file: l.file, line: l.line }));
    } else {
      const state = s.state === 'pending' ? 'pending' : `${s.state} (${shorten(s.why, 80)})`;
      out.out(`${l.id}  ${l.time}  ${l.component}  ${l.reason}  ${l.kind}  ${state}  ${shorten(l.detail)}`);
    }
  }
  reportCorrupt([...corrupt, ...marks.corrupt], out);
  if (!opts.json) {
    const pending = shown.filter((l) => states.get(l.id)!.state === 'pending').length;
    out.err(`${shown.length} dead letters (${pending} pending replay)${corrupt.length ? `, ${corrupt.length} corrupt lines` : ''} in ${dir}`);
  }
  return 0;
}

/** The whole entry as written (already scrubbed), with its id, place and replay state. */
export async function showCommand(loaded: LoadedConfig, id: string, out: Output = console_): Promise<number> {
  const dir = dirOf(loaded);
  const { letters } = await readLetterIndex(dir);
  const found = findLetter(letters, id);
  const marks = await readReplayMarks(dir);
  const status = letterStates(letters, marks.marks, loaded.graph).get(found.id)!;
  let letter: DeadLetter | undefined;
  await scanDeadLetters(dir, (l) => void (l.id === found.id && (letter = l)), { file: found.file });
  if (!letter) throw new Error(`dead letter ${found.id} vanished from ${found.file} while reading it`);
  // As written (already scrubbed), without the fields the reader derived from it.
  const { id: letterIdValue, file, line, replayOf: _r, payloadProblem: _p, ...entry } = letter as DeadLetter;
  out.out(JSON.stringify({ id: letterIdValue, file: join(dir, file), line, ...status, entry }, null, 2));
  return 0;
}

/** Exit code: 0 every selected letter went through; 1 some failed again or were not delivered. */
export async function replayCommand(loaded: LoadedConfig, opts: ReplayOptions, out: Output = console_): Promise<number> {
  const report: ReplayReport = await replayDeadLetters(loaded, opts);
  reportCorrupt(report.corrupt, out);
  const skippedBy = new Map<string, number>();
  for (const s of report.skipped) skippedBy.set(s.status.state, (skippedBy.get(s.status.state) ?? 0) + 1);
  const skipped = [...skippedBy].map(([state, n]) => `${n} ${state}`).join(', ') || 'none';
  if (opts.dryRun) {
    for (const p of report.planned) out.out(`would send ${p.letter.id}  ${p.letter.kind} -> ${p.at}  (${p.letter.reason}: ${shorten(p.letter.detail, 80)})`);
    for (const s of report.skipped) if (s.status.state !== 'replayed') out.out(`skip ${s.letter.id}  ${s.status.state}: ${shorten(s.status.why, 120)}`);
    out.err(`dry run: ${report.planned.length} would be sent; skipped: ${skipped}${skippedBy.get('replayed') ? ' (--again sends replayed ones again)' : ''}`);
    return 0;
  }
  for (const r of report.results) out.out(`${r.id}  ${r.outcome}${r.detail ? `  ${shorten(r.detail, 200)}` : ''}`);
  const count = (o: string) => report.results.filter((r) => r.outcome === o).length;
  out.err(
    `replayed ${report.planned.length}: ${count('delivered')} delivered, ${count('dropped')} dropped by a transform, ${count('failed')} failed again (dead-lettered again), ${count('not_delivered')} not delivered (left pending); skipped: ${skipped}`,
  );
  for (const f of report.pipeline?.failures ?? []) out.err(`component ${f.component} failed: ${f.reason}`);
  if (report.markError) out.err(report.markError);
  return report.ok ? 0 : 1;
}

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];
}

/** Checks a --since/--until value while parsing options, so a typo is a usage error (exit 2). */
function timeArg(v: string): string {
  try {
    parseTimeArg(v, Date.now());
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return v;
}

function withFilters(c: Command): Command {
  return c
    .requiredOption('-c, --config <file>', 'config file (YAML)')
    .option('--component <id>', 'only letters of this source, transform or sink (repeatable, or comma-separated)', collect)
    .option('--reason <reason>', 'only letters with this reason, e.g. rejected, transform_failed (repeatable, or comma-separated)', collect)
    .option('--since <time>', 'only letters written at or after this time: ISO 8601, or a duration ago (2h, 7d)', timeArg)
    .option('--until <time>', 'only letters written before this time: ISO 8601, or a duration ago', timeArg);
}

export function registerDeadLettersCommand(program: Command): void {
  const dl = program.command('dead-letters').description('list, show and replay dead letters (dataDir/dead-letter)');
  withFilters(dl.command('list').description('one line per dead letter, oldest first: id, time, component, reason, kind, state, detail'))
    .option('--json', 'print one JSON object per line (NDJSON)')
    .action(async (o: FilterArgs & { config: string; json?: boolean }) => {
      process.exitCode = await listCommand(loadConfigFile(o.config), toFilter(o), { json: o.json ?? false });
    });
  dl.command('show <id>')
    .description('print one dead letter in full (pretty JSON); an unambiguous id prefix is enough')
    .requiredOption('-c, --config <file>', 'config file (YAML)')
    .action(async (id: string, o: { config: string }) => {
      process.exitCode = await showCommand(loadConfigFile(o.config), id);
    });
  withFilters(dl.command('replay').description('send the selected pending dead letters through the configured pipeline again (sources do not run; checkpoints are not touched)'))
    .option('--dry-run', 'only print what would be sent, and what is skipped and why')
    .option('--again', 'also send letters already marked replayed')
    .action(async (o: FilterArgs & { config: string; dryRun?: boolean; again?: boolean }) => {
      const loaded = loadConfigFile(o.config);
      // Logs go to stderr: stdout is the per-letter outcome.
      let stop: ((reason: string) => Promise<unknown>) | undefined;
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        // A second signal exits at once, as `zsf run` does: unmarked letters stay pending.
        if (++signals > 1 || !stop) process.exit(130);
        void stop(`received ${sig}`);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        process.exitCode = await replayCommand(loaded, { filter: toFilter(o), dryRun: o.dryRun ?? false, again: o.again ?? false, logDestination: pino.destination({ fd: 2, sync: true }), onStart: (s) => (stop = s) });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
