// Backfill request cost: Zendesk requests divided by the minimum the page sizes allow, and how
// much of the request budget a backfill spends from its first minute.
//  (a) the audit log (100 per page) and the access log (2,500 per page) from the in-process
//      simulator, limits off, at ZSF_BENCH_BACKFILL_SIZES records each (default 10000,100000;
//      add 1000000 for the long case), `--once`, a null sink. Requests are counted by the
//      simulator per endpoint.
//  (b) audit + access + ticket events against Zendesk's own budgets (account 700, access log
//      50, incremental exports 10 per minute) with the minute scaled down ZSF_BENCH_BUDGET_SCALE
//      times (default 10: 70, 5 and 1 per 6 s), so requests per second are Zendesk's and the
//      run takes seconds. Printed: account requests in the first (scaled) minute after the
//      first request, as Zendesk counts them, divided by the account budget; 429s; Retry-After
//      violations.

import { startSimulator } from '../src/simulator/index.js';
import { backfillInProcess } from './in-process-backfill.js';
import type { BenchRow } from './lib.js';

const SIZES = (process.env.ZSF_BENCH_BACKFILL_SIZES ?? '10000,100000').split(',').map(Number).filter((n) => n > 0);
const SCALE = Number(process.env.ZSF_BENCH_BUDGET_SCALE ?? 10);

interface Run {
  audit: number;
  access: number;
  tickets: number;
  /** Zendesk's budgets scaled by SCALE, or none. */
  limits: boolean;
}

async function backfill(o: Run) {
  const windowMs = 60_000 / SCALE;
  const budget = { account: Math.round(700 / SCALE), access: Math.round(50 / SCALE), incremental: Math.max(1, Math.round(10 / SCALE)) };
  const sim = await startSimulator({
    seed: 11,
    data: { auditLogs: o.audit, accessLogs: o.access, ticketEvents: o.tickets, endTime: Date.now() - 600_000 },
    limits: o.limits ? { enabled: true, windowMs, accountPerMinute: budget.account, accessLogsPerMinute: budget.access, incrementalPerMinute: budget.incremental } : { enabled: false },
  });
  const start = new Date(sim.timeRange.start * 1000 - 60_000).toISOString();
  const sources = [
    o.audit && { id: 'audit', type: 'zendesk_audit_logs', account: 'sim', startTime: start },
    o.access && { id: 'access', type: 'zendesk_access_logs', account: 'sim', startTime: start, pageSize: 2500, ...(o.limits ? { requestsPerMinute: budget.access } : { requestsPerMinute: 1000 }) },
    o.tickets && { id: 'tickets', type: 'zendesk_ticket_audits', account: 'sim', startTime: start, ...(o.limits ? { requestsPerMinute: budget.incremental } : { requestsPerMinute: 1000 }) },
  ].filter(Boolean) as Record<string, unknown>[];
  try {
    const { secs, records, peakRssMb } = await backfillInProcess(sim.url, sources, { requestsPerMinute: o.limits ? budget.account : 100_000, ...(o.limits ? { rateWindow: windowMs } : {}) });
    const c = sim.counters;
    // Account requests (the access log has a budget of its own) in the first window after the first request.
    const first = sim.requests[0]?.time ?? 0;
    const account = sim.requests.filter((r) => r.endpoint !== 'access_logs' && r.status !== 429);
    const firstWindow = account.filter((r) => r.time < first + windowMs).length;
    // As the simulator (and Zendesk's "requests remaining in the current minute") counts: fixed
    // minutes; the first complete one after the first request, and the mean of the complete ones.
    const last = account.at(-1)?.time ?? first;
    const minutes: number[] = [];
    for (let m = Math.floor(first / windowMs) + 1; (m + 1) * windowMs <= last; m++) minutes.push(account.filter((r) => r.time >= m * windowMs && r.time < (m + 1) * windowMs).length);
    return {
      secs,
      records,
      peakRssMb,
      audit: { requests: c.requests.audit_logs, minimum: Math.ceil(o.audit / 100) },
      access: { requests: c.requests.access_logs, minimum: Math.ceil(o.access / 2500) },
      tickets: { requests: c.requests.ticket_events, minimum: Math.ceil(o.tickets / 1000) },
      tooMany: c.tooManyRequests,
      violations: c.retryAfterViolations,
      firstUse: firstWindow / budget.account,
      fixedMinutes: minutes.map((n) => n / budget.account),
      windowMs,
    };
  } finally {
    await sim.close();
  }
}

export default async function (): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const size of SIZES) {
    const r = await backfill({ audit: size, access: size, tickets: 0, limits: false });
    rows.push({
      name: `backfill ${size.toLocaleString('en-US')} audit logs + ${size.toLocaleString('en-US')} access logs, limits off: requests ÷ minimum`,
      eventsPerSec: r.records / r.secs,
      peakRssMb: r.peakRssMb,
      ratio: r.audit.requests / r.audit.minimum,
      ratioTo: 'the minimum audit-log requests',
      note: `audit log ${r.audit.requests} requests (minimum ${r.audit.minimum}); access log ${r.access.requests} (minimum ${r.access.minimum}, ${(r.access.requests / r.access.minimum).toFixed(3)}); ${r.tooMany} × 429`,
    });
  }
  const n = Number(process.env.ZSF_BENCH_BUDGET_AUDIT ?? 30_000);
  const b = await backfill({ audit: n, access: 30_000, tickets: 5000, limits: true });
  rows.push({
    name: `backfill ${n / 1000}k audit + 30k access + 5k ticket events against Zendesk's budgets (minute scaled to ${b.windowMs} ms): budget used in first minute`,
    eventsPerSec: b.records / b.secs,
    peakRssMb: b.peakRssMb,
    ratio: b.firstUse,
    ratioTo: 'the account budget in the first minute',
    note: `${b.tooMany} × 429, ${b.violations} Retry-After violations; complete fixed minutes (as Zendesk counts): ${b.fixedMinutes.map((x) => x.toFixed(2)).join(', ')}; requests ÷ minimum: audit ${(b.audit.requests / b.audit.minimum).toFixed(3)}, access ${(b.access.requests / b.access.minimum).toFixed(3)}, ticket events ${b.tickets.requests}/${b.tickets.minimum}`,
  });
  return rows;
}
