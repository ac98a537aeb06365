// Zendesk sources: backfill from the in-process simulator.
//  (a) limits off: 100k audit logs + 100k access logs + 20k ticket events, records/s, and
//      requests per record against the minimum the page sizes allow;
//  (b) with a request budget: the fraction of the budget used (goal ≥ 0.95) and 429s (goal 0).
//      The rate window is scaled down from Zendesk's 60 s to ZSF_BENCH_WINDOW_MS (default 3 s)
//      on both sides (default 3 s), so the run takes seconds instead of many minutes.

import { startSimulator } from '../src/simulator/index.js';
import { backfillInProcess } from './in-process-backfill.js';
import type { BenchRow } from './lib.js';

const AUDIT = Number(process.env.ZSF_BENCH_AUDIT ?? 100_000);
const ACCESS = Number(process.env.ZSF_BENCH_ACCESS ?? 100_000);
const TICKETS = Number(process.env.ZSF_BENCH_TICKETS ?? 20_000);
const WINDOW_MS = Number(process.env.ZSF_BENCH_WINDOW_MS ?? 3000);

async function backfill(o: { audit: number; access: number; tickets: number; limits: boolean; budget: number; endpointLimit?: number }) {
  const endpointLimit = o.endpointLimit ?? 1_000_000;
  const sim = await startSimulator({
    seed: 3,
    data: { auditLogs: o.audit, accessLogs: o.access, ticketEvents: o.tickets },
    limits: o.limits ? { enabled: true, windowMs: WINDOW_MS, accountPerMinute: o.budget, accessLogsPerMinute: endpointLimit, incrementalPerMinute: endpointLimit } : { enabled: false },
  });
  const start = new Date(sim.timeRange.start * 1000 - 60_000).toISOString();
  const sources = [
    o.audit && { id: 'audit', type: 'zendesk_audit_logs', account: 'sim', startTime: start, initialWindow: '1d' },
    o.access && { id: 'access', type: 'zendesk_access_logs', account: 'sim', startTime: start, pageSize: 2500, initialWindow: '1d', requestsPerMinute: Math.min(1000, endpointLimit) },
    o.tickets && { id: 'tickets', type: 'zendesk_ticket_audits', account: 'sim', startTime: start, requestsPerMinute: Math.min(100, endpointLimit) },
  ].filter(Boolean) as Record<string, unknown>[];
  try {
    const { secs, records, peakRssMb } = await backfillInProcess(sim.url, sources, { requestsPerMinute: o.budget, ...(o.limits ? { rateWindow: WINDOW_MS } : {}) });
    const requests = sim.counters.total;
    const minPages = Math.ceil(o.audit / 100) + Math.ceil(o.access / 2500) + Math.ceil(o.tickets / 1000);
    // Steady state: requests per complete window between the first and the last request.
    const times = sim.requests.map((r) => r.time);
    const full = Math.floor((times[times.length - 1]! - times[0]!) / WINDOW_MS);
    const perWindow = Array.from({ length: full }, (_, k) => times.filter((t) => t >= times[0]! + k * WINDOW_MS && t < times[0]! + (k + 1) * WINDOW_MS).length);
    const steadyUse = full > 0 ? perWindow.reduce((x, y) => x + y, 0) / full / o.budget : NaN;
    // Account requests in the first window (access-log requests have a budget of their own).
    const firstUse = sim.requests.filter((r) => r.endpoint !== 'access_logs' && r.time < times[0]! + WINDOW_MS).length / o.budget;
    // The client counts access-log requests against the account too (Zendesk does not say they are exempt).
    const firstUseClient = sim.requests.filter((r) => r.time < times[0]! + WINDOW_MS).length / o.budget;
    return { secs, records, requests, minPages, tooMany: sim.counters.tooManyRequests, peakRssMb, steadyUse, firstUse, firstUseClient, full };
  } finally {
    await sim.close();
  }
}

export default async function (): Promise<BenchRow[]> {
  const a = await backfill({ audit: AUDIT, access: ACCESS, tickets: TICKETS, limits: false, budget: 100_000 });
  const rows: BenchRow[] = [
    {
      name: `backfill ${AUDIT / 1000}k audit + ${ACCESS / 1000}k access + ${TICKETS / 1000}k ticket events, limits off`,
      eventsPerSec: a.records / a.secs,
      peakRssMb: a.peakRssMb,
      ratio: a.requests / a.minPages,
      ratioTo: 'minimum requests',
      note: `${a.records} records, ${a.requests} requests (minimum ${a.minPages}), ${a.tooMany} × 429`,
    },
  ];
  // (b) the audit log alone against a budget of 40 requests per (scaled) minute.
  const budget = 40;
  const n = Number(process.env.ZSF_BENCH_BUDGET_AUDIT ?? 30_000);
  const b = await backfill({ audit: n, access: 0, tickets: 0, limits: true, budget });
  rows.push({
    name: `backfill ${n / 1000}k audit logs, budget ${budget}/window (window ${WINDOW_MS} ms for 60 s)`,
    eventsPerSec: b.records / b.secs,
    peakRssMb: b.peakRssMb,
    ratio: b.steadyUse,
    ratioTo: 'request budget used (mean of complete windows)',
    note: `${b.requests} requests in ${b.secs.toFixed(1)} s over ${b.full} complete windows, ${b.tooMany} × 429, minimum ${b.minPages} requests; first window ${b.firstUse.toFixed(2)} of the budget`,
  });
  // (c) all three streams against the account budget, the endpoints at 10 per window each: the
  // audit log must not queue behind the access log's or the export's own limit.
  const c = await backfill({ audit: n, access: 30_000, tickets: 5000, limits: true, budget, endpointLimit: 10 });
  rows.push({
    name: `backfill ${n / 1000}k audit + 30k access + 5k ticket events, budget ${budget}/window, endpoints 10/window`,
    eventsPerSec: c.records / c.secs,
    peakRssMb: c.peakRssMb,
    ratio: c.firstUse,
    ratioTo: 'account budget used in the first window',
    note: `${c.requests} requests (minimum ${c.minPages}), ${c.tooMany} × 429; first window incl. access-log requests (as the client counts) ${c.firstUseClient.toFixed(2)}; mean of complete windows ${c.steadyUse.toFixed(2)}`,
  });
  return rows;
}
