// The long crash campaign (`npm run test:crash`, not part of `npm test`): the product reads all
// four Zendesk streams from the simulator (audit log, access log, ticket events, deleted
// tickets), with records arriving live and some arriving late, maps them to OCSF and ships them
// to a Splunk HEC receiver with indexer acknowledgements behind a disk buffer, and to a file.
// The process is SIGKILLed at seeded random moments, 100 times, and restarted each time; then
// a final --once run drains. Checked at the end: every simulator record is in both sinks (by
// deterministic event id), nothing else is, no torn line, duplicates within the in-flight bound,
// no 429 from the simulator (whose limits are Zendesk's), no dead letter but torn buffer tails.
// ZSF_CRASH_KILLS and ZSF_CRASH_SEED change the count and the seed (a reported loss names its seed).

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSimulator, DEMO_CREDENTIALS, type Simulator } from '../../src/simulator/index.js';
import { deletionKey } from '../../src/sources/zendesk/deleted-tickets.js';
import { startHecReceiver, type HecReceiver } from '../receivers/hec.js';
import { readDeadLetters, tempDir } from '../support/probe.js';
import { mulberry32 } from '../support/random.js';
import { spawnWarmChild } from '../support/warm-child.js';

const KILLS = Number(process.env.ZSF_CRASH_KILLS ?? 100);
const SEED = Number(process.env.ZSF_CRASH_SEED ?? 20261130);
const TOKEN = 'crash-campaign-hec-token';
// Zendesk refuses incremental exports of the last minute; the source keeps this margin.
const TICKET_MIN_AGE_MS = 70_000;
const SINK_BATCH = 200;
const ACCESS_PAGE = 200;
// Per crash, what can be sent again (docs/ARCHITECTURE.md, "Duplicate bound"):
// - source side: batches handed to the buffers but not yet durably committed: commits are
//   coalesced (a write per 4 done batches, or within 1 s), so up to 4 + one done during the
//   write, plus one in the buffers, per source: audit and deleted-ticket pages of 100, access
//   pages of ACCESS_PAGE, incremental ticket-event pages of up to 1000;
// - sink side: batches delivered but not yet acknowledged in the buffer, `concurrency` + 1
//   (HEC 4, file 1); with indexer acks a batch counts as delivered only once acknowledged.
const SOURCE_IN_FLIGHT = 6 * (100 + ACCESS_PAGE + 1000 + 100);
const IN_FLIGHT_BOUND = { file: SOURCE_IN_FLIGHT + 2 * SINK_BATCH, hec: SOURCE_IN_FLIGHT + 5 * SINK_BATCH };

let sim: Simulator | undefined;
let hec: HecReceiver | undefined;
afterAll(async () => {
  await sim?.close();
  await hec?.close();
});

const spawnChild = (configFile: string, mode: 'once' | 'follow') => spawnWarmChild('test/crash/campaign-child.ts', [configFile, mode]);

function campaignConfig(dataDir: string, simUrl: string, hecUrl: string, startTime: string) {
  const source = { account: 'acme', startTime, pollInterval: '1s' };
  return {
    dataDir,
    api: { enabled: false },
    log: { level: 'error' },
    shutdownTimeout: '5s',
    zendesk: { accounts: [{ name: 'acme', baseUrl: simUrl, auth: { type: 'token', email: DEMO_CREDENTIALS.email, token: DEMO_CREDENTIALS.token } }] },
    sources: [
      { id: 'audit', type: 'zendesk_audit_logs', ...source, initialWindow: '1h', settle: '1s' },
      { id: 'access', type: 'zendesk_access_logs', ...source, initialWindow: '1h', settle: '1s', pageSize: ACCESS_PAGE },
      { id: 'tickets', type: 'zendesk_ticket_audits', ...source, lookback: '10m' },
      { id: 'deleted', type: 'zendesk_deleted_tickets', ...source },
    ],
    transforms: [{ id: 'ocsf', type: 'ocsf', inputs: ['audit', 'access', 'tickets', 'deleted'] }],
    sinks: [
      {
        id: 'splunk',
        type: 'splunk_hec',
        inputs: ['ocsf'],
        endpoint: hecUrl,
        token: TOKEN,
        acknowledgements: { enabled: true, queryInterval: '100ms' },
        healthcheck: { enabled: false },
        buffer: { type: 'disk', maxBytes: '16MiB', segmentBytes: '1MiB' },
        batch: { maxEvents: SINK_BATCH, maxWait: '50ms' },
        retry: { initialBackoff: '50ms', maxBackoff: '500ms' },
      },
      { id: 'file', type: 'file', inputs: ['ocsf'], path: join(dataDir, 'out.ndjson'), batch: { maxEvents: SINK_BATCH, maxWait: '50ms' } },
    ],
  };
}

/** Event ids the product must deliver for what the simulator holds now. */
function expectedIds(s: Simulator): Set<string> {
  const ids = new Set<string>();
  for (const r of s.records('audit_logs')) ids.add(`acme:audit_log:${r.id}`);
  for (const r of s.records('access_logs')) ids.add(`acme:access_log:${r.id}`);
  for (const r of s.records('ticket_events')) ids.add(`acme:ticket_audit:${r.id}`);
  for (const r of s.deletedTickets()) ids.add(`acme:deleted_ticket:${deletionKey(String(r.id), Date.parse(r.deleted_at))}`);
  return ids;
}

function tally(name: 'file' | 'hec', got: string[], expected: Set<string>) {
  const unique = new Set(got);
  return {
    name,
    records: got.length,
    missing: [...expected].filter((id) => !unique.has(id)),
    unexpected: [...unique].filter((id) => !expected.has(id)),
    duplicates: got.length - unique.size,
  };
}

const uidOf = (event: unknown) => String((event as { metadata?: { uid?: unknown } }).metadata?.uid);

/** Event ids of the file sink's lines, and the lines that are not whole JSON (torn). */
function readFileSink(path: string): { ids: string[]; torn: string[] } {
  const ids: string[] = [];
  const torn: string[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n').filter(Boolean)) {
    try {
      ids.push(uidOf(JSON.parse(line)));
    } catch {
      torn.push(line.slice(0, 120));
    }
  }
  return { ids, torn };
}

describe('SIGKILL campaign: Zendesk simulator -> ocsf -> disk-buffered HEC (acks) + file', () => {
  it(`loses nothing across ${KILLS} SIGKILLs during a live run (seed ${SEED})`, async () => {
    const t0 = Date.now();
    const random = mulberry32(SEED);
    sim = await startSimulator({
      seed: SEED,
      data: { auditLogs: 3000, accessLogs: 3000, ticketEvents: 2000, deletedTickets: 60, startTime: t0 - 3 * 3_600_000, endTime: t0 - 5 * 60_000 },
      // Zendesk's own limits and minute: one process at a time never needs more, so any 429
      // would come from a restarted process spending a budget the killed one had used.
      limits: { enabled: true },
      live: { audit_logs: { perMinute: 600 }, access_logs: { perMinute: 600 }, ticket_events: { perMinute: 120 } },
    });
    hec = await startHecReceiver({ tokens: [TOKEN], ackEnabled: true });
    const dataDir = tempDir('zsf-crash-campaign-');
    const configFile = join(dataDir, '..', `${dataDir.split('/').pop()}.json`);
    writeFileSync(configFile, JSON.stringify(campaignConfig(dataDir, sim.url, hec.url, new Date(sim.timeRange.start * 1000 - 60_000).toISOString())));

    let late = 0;
    let deletions = 0;
    // Processes load their modules ahead, so a restart takes milliseconds, not a tsx start-up.
    const warm = [spawnChild(configFile, 'follow'), spawnChild(configFile, 'follow')];
    for (let i = 0; i < KILLS; i++) {
      const current = warm.shift()!;
      await current.ready;
      current.go();
      await current.started;
      if (i + warm.length + 1 < KILLS) warm.push(spawnChild(configFile, 'follow'));
      // Records that arrive late (dated minutes back, inside each source's lookback) and
      // tickets deleted now, while the process runs.
      if (i % 10 === 5) {
        late += sim.append('audit_logs', 10, { timeOffset: -120 }).length;
        late += sim.append('access_logs', 10, { timeOffset: -90 }).length;
        late += sim.append('ticket_events', 10, { timeOffset: -240 }).length;
      }
      if (i % 5 === 2) deletions += sim.deleteTickets(2).length;
      // The kill moment itself is the thing under test, not a synchronisation.
      await new Promise((r) => setTimeout(r, 200 + Math.floor(random() * 2300)));
      current.kill();
      const exit = await current.exit;
      if (exit.signal !== 'SIGKILL') expect.fail(`round ${i} ended before its kill: ${exit.code} ${current.out()}`);
    }
    for (const c of warm) c.kill();

    // Live arrivals stop; the drain may start once the newest ticket event is older than the
    // margin Zendesk imposes on incremental exports (a product rule, not a synchronisation).
    sim.setLive({});
    const newestTicket = Math.max(...sim.records('ticket_events').map((r) => r.timestamp * 1000));
    const drainAt = newestTicket + TICKET_MIN_AGE_MS + 2000;
    if (Date.now() < drainAt) await new Promise((r) => setTimeout(r, drainAt - Date.now()));
    // What the followed runs delivered between crashes, and HEC batches a kill left unacknowledged
    // (sent, never confirmed): evidence that the kills landed in the middle of the work.
    const beforeDrain = { file: new Set(readFileSink(join(dataDir, 'out.ndjson')).ids).size, hec: new Set(hec.indexed.map((e) => uidOf(e.event))).size };
    const unackedAtKill = hec.received.filter((e) => e.ackState === 'pending').length;
    const final = spawnChild(configFile, 'once');
    await final.ready;
    final.go();
    const finalExit = await final.exit;
    expect(finalExit.code, final.out()).toBe(0);
    const wallMs = Date.now() - t0;

    const expected = expectedIds(sim);
    const { ids: fileIds, torn } = readFileSink(join(dataDir, 'out.ndjson'));
    const file = tally('file', fileIds, expected);
    const splunk = tally('hec', hec.indexed.map((e) => uidOf(e.event)), expected);
    const deadLetters = readDeadLetters(dataDir);
    const figures = {
      seed: SEED,
      kills: KILLS,
      expected: expected.size,
      late,
      deletions,
      deliveredBeforeDrain: beforeDrain,
      hecUnackedAtKill: unackedAtKill,
      file: { records: file.records, lost: file.missing.length, duplicates: file.duplicates },
      hec: { records: splunk.records, lost: splunk.missing.length, duplicates: splunk.duplicates },
      tornLines: torn.length,
      tooManyRequests: sim.counters.tooManyRequests,
      requests: sim.counters.total,
      deadLetters: deadLetters.map((d) => d.reason),
      wallSeconds: Math.round(wallMs / 1000),
    };
    console.log(`crash campaign: ${JSON.stringify(figures)}`);

    expect(torn).toEqual([]);
    // The followed runs made progress between the crashes (the drain is not what delivered it
    // all), and kills cut HEC batches before their acknowledgement. The share delivered before
    // the drain varies with the machine's load (65–92 % in the recorded runs): records that arrived
    // during the last rounds and the ~70 s wait are only read by the drain.
    expect(beforeDrain.file).toBeGreaterThan(expected.size / 4);
    expect(beforeDrain.hec).toBeGreaterThan(expected.size / 4);
    expect(unackedAtKill).toBeGreaterThan(0);
    for (const t of [file, splunk]) {
      expect(t.missing.slice(0, 20), `${t.name}: ${t.missing.length} lost (seed ${SEED})`).toEqual([]);
      expect(t.unexpected.slice(0, 20), `${t.name}: ids the simulator never had`).toEqual([]);
      expect(t.duplicates, `${t.name} duplicates`).toBeLessThanOrEqual(KILLS * IN_FLIGHT_BOUND[t.name]);
    }
    expect(sim.counters.tooManyRequests).toBe(0);
    expect(sim.retryAfterViolations).toEqual([]);
    // A torn disk-buffer tail is dead-lettered and its events re-fetched (the checkpoint never
    // passed them); nothing else may be.
    for (const d of deadLetters) expect(d.reason).toBe('buffer_torn_record');
  }, 900_000);
});
