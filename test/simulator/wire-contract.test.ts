// Wire contract: the simulator accepts the exact requests independent Zendesk clients send and
// refuses, with Zendesk's status and body, what Zendesk refuses. Query strings are read as Rack
// reads them (src/simulator/rack-query.ts), so a client bug that Zendesk would answer with a 400
// is a 400 here too.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATED_AT_INVALID } from '../../src/simulator/audit-logs.js';
import { startSimulator, type AuditLogRecord, type Simulator } from '../../src/simulator/index.js';
import { get, testClock, type Reply } from './helpers.js';

interface AuditPage {
  audit_logs: AuditLogRecord[];
  meta: { has_more: boolean; after_cursor: string | null };
  links: { next: string | null };
}

const clock = testClock();
let sim: Simulator;
let all: AuditLogRecord[];
const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000', '');
/** Python requests / urllib encoding: brackets percent-encoded, a list becomes the key repeated. */
const pyEncode = (pairs: [string, string | number][]) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');

const INVALID_CREATED_AT = { error: 'InvalidValue', description: CREATED_AT_INVALID };

beforeAll(async () => {
  sim = await startSimulator({ seed: 5, now: clock.now, data: { auditLogs: 600, accessLogs: 300, ticketEvents: 50 }, limits: { enabled: false } });
  all = sim.records('audit_logs');
});
afterAll(() => sim.close());

function windowOf(): { from: number; to: number; want: number[] } {
  const secs = all.map((r) => Date.parse(r.created_at) / 1000);
  const from = secs[100]!;
  const to = secs[400]!;
  return { from, to, want: all.filter((r) => Date.parse(r.created_at) / 1000 >= from && Date.parse(r.created_at) / 1000 <= to).map((r) => r.id) };
}

async function follow(first: string, cursor: (page: AuditPage, firstUrl: string) => string | null): Promise<number[]> {
  const ids: number[] = [];
  let url: string | null = first;
  for (let i = 0; url && i < 100; i++) {
    const r: Reply<AuditPage> = await get<AuditPage>(url);
    expect(r.status, `${url}: ${r.text}`).toBe(200);
    ids.push(...r.json.audit_logs.map((x) => x.id));
    url = r.json.meta.has_more ? cursor(r.json, first) : null;
  }
  return ids;
}

describe('audit logs: what independent clients send is accepted', () => {
  it('Airbyte source-zendesk-support AuditLogs.request_params (requests-encoded list: filter[created_at][] twice, sort=created_at)', async () => {
    // airbytehq/airbyte airbyte-integrations/connectors/source-zendesk-support/source_zendesk_support/streams.py:
    // params = {"page[size]": page_size, "sort": "created_at", "filter[created_at][]": [start_time, end_time]}
    const { from, to, want } = windowOf();
    const qs = pyEncode([['page[size]', 100], ['sort', 'created_at'], ['filter[created_at][]', iso(from)], ['filter[created_at][]', iso(to)]]);
    const ids = await follow(`${sim.url}/api/v2/audit_logs?${qs}`, (p) => p.links.next);
    expect(ids).toEqual(want);
  });

  it('HashiCorp Grove zendesk audit_logs Client.get_audit_logs (cursor as page[after] next to the same params)', async () => {
    // hashicorp-forge/grove grove/connectors/zendesk/audit_logs.py:
    // params = {"page[size]": batch_size, "sort": "created_at", "filter[created_at][]": [start, end], "page[after]": cursor}
    const { from, to, want } = windowOf();
    const base = [['page[size]', 100], ['sort', 'created_at'], ['filter[created_at][]', iso(from)], ['filter[created_at][]', iso(to)]] as [string, string | number][];
    const ids = await follow(`${sim.url}/api/v2/audit_logs.json?${pyEncode(base)}`, (p) => `${sim.url}/api/v2/audit_logs.json?${pyEncode([...base, ['page[after]', p.meta.after_cursor!]])}`);
    expect(ids).toEqual(want);
  });

  it('usp-adapters zendesk client (Go: literal brackets, RFC 3339 times, default newest-first order)', async () => {
    // refractionPOINT/usp-adapters zendesk/client.go:
    // fmt.Sprintf("%s%s?filter[created_at][]=%s&filter[created_at][]=%s&page[size]=100", baseURL, logsEndpoint, start, until)
    const { from, to, want } = windowOf();
    const ids = await follow(`${sim.url}/api/v2/audit_logs?filter[created_at][]=${iso(from)}&filter[created_at][]=${iso(to)}&page[size]=100`, (p) => p.links.next);
    expect(ids).toEqual([...want].reverse());
  });
});

describe('audit logs: what Zendesk refuses is refused the same way', () => {
  const { from, to } = { from: '2026-03-01T00:00:00Z', to: '2026-03-02T00:00:00Z' };
  const cases: [string, string, number, unknown][] = [
    ['the documented "twice" read literally (Rack keeps only the last value)', `filter[created_at]=${from}&filter[created_at]=${to}&page[size]=100`, 400, INVALID_CREATED_AT],
    ['one bound only', `filter[created_at][]=${from}&page[size]=100`, 400, INVALID_CREATED_AT],
    ['three bounds', `filter[created_at][]=${from}&filter[created_at][]=${to}&filter[created_at][]=${to}`, 400, INVALID_CREATED_AT],
    ['a bare single value', `filter[created_at]=${from}`, 400, INVALID_CREATED_AT],
    ['unparseable times', 'filter[created_at][]=yesterday&filter[created_at][]=today', 400, INVALID_CREATED_AT],
    ['date-only times', 'filter[created_at][]=2026-03-01&filter[created_at][]=2026-03-02', 400, INVALID_CREATED_AT],
    ['indexed keys (a hash to Rack, not an array)', `filter[created_at][0]=${from}&filter[created_at][1]=${to}`, 400, INVALID_CREATED_AT],
    ['page[size] above 100', 'page[size]=101', 400, { error: 'InvalidPaginationParameter', description: 'page[size] is limited to 100' }],
    ['an unknown sort', 'page[size]=10&sort=actor_id', 400, { error: 'InvalidValue', description: 'sort must be created_at or -created_at' }],
    ['an action list (filter[action] takes one value)', 'filter[action][]=login&filter[action][]=update&page[size]=10', 400, { error: 'InvalidValue', description: 'Invalid filter[action] specified' }],
    ['an unknown filter', 'filter[actions]=login&page[size]=10', 400, { error: 'InvalidValue', description: 'Invalid filter[actions] specified' }],
  ];
  for (const [what, qs, status, body] of cases) {
    it(what, async () => {
      const r = await get(`${sim.url}/api/v2/audit_logs?${qs}`);
      expect(r.status).toBe(status);
      expect(r.json).toEqual(body);
    });
  }

  it('conflicting shapes are a 400 before any endpoint logic (Rack ParameterTypeError)', async () => {
    const r = await get<{ error: string; description: string }>(`${sim.url}/api/v2/audit_logs?filter[created_at]=${from}&filter[created_at][]=${to}`);
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: 'InvalidValue', description: "Invalid query parameters: expected Array (got String) for param `created_at'" });
  });

  it('a repeated single-value filter keeps the last value, as Rack does', async () => {
    const r = await get<AuditPage>(`${sim.url}/api/v2/audit_logs?filter[action]=update&filter[action]=login&page[size]=100`);
    expect(r.status).toBe(200);
    expect(r.json.audit_logs.length).toBeGreaterThan(0);
    expect(new Set(r.json.audit_logs.map((x) => x.action))).toEqual(new Set(['login']));
  });
});

describe('access logs and incremental export: refusals with Zendesk bodies', () => {
  const malformed = (detail: string) => ({ errors: [{ detail, title: 'Malformed query params' }] });
  const cases: [string, string, number, unknown][] = [
    // Documented verbatim: test/reference/zendesk/examples/access_logs.errors.verbatim.json "400".
    ['page[size] above 2500', '/api/v2/access_logs?page[size]=2501', 400, malformed('max allowed page size is 2500')],
    ['filter[start] without a time', '/api/v2/access_logs?filter[start]=2026-03-01', 400, malformed('filter[start] must be a UTC time stamp in the format yyyy-mm-ddThh:mm:ssZ')],
    ['filter[end] with an offset instead of Z', '/api/v2/access_logs?filter[end]=2026-03-01T00:00:00%2B01:00', 400, malformed('filter[end] must be a UTC time stamp in the format yyyy-mm-ddThh:mm:ssZ')],
    ['filter[start] as an array', '/api/v2/access_logs?filter[start][]=2026-03-01T00:00:00Z', 400, malformed('filter[start] takes a single value')],
    ['filter[graphql] other than true', '/api/v2/access_logs?filter[graphql]=false', 400, malformed('filter[graphql] only accepts "true"')],
    ['an unknown filter', '/api/v2/access_logs?filter[browser]=x', 400, malformed('unknown parameter filter[browser]')],
    ['start_time missing', '/api/v2/incremental/ticket_events', 400, { error: 'InvalidValue', description: 'start_time is required' }],
    ['start_time not epoch seconds', '/api/v2/incremental/ticket_events?start_time=2026-03-01T00:00:00Z', 400, { error: 'InvalidValue', description: 'start_time must be a Unix epoch time in seconds' }],
    // 422 InvalidValue "Too recent start_time. ..." is what clients handle, e.g. treasure-data/embulk-input-zendesk
    // (CHANGELOG 0.1.9 "Ignore '422: Too recent start_time'"; older accounts said "older than 5 minutes").
    ['start_time within the last minute', `/api/v2/incremental/ticket_events?start_time=${Math.floor(clock.now() / 1000) - 30}`, 422, { error: 'InvalidValue', description: 'Too recent start_time. Use a start_time older than 1 minute' }],
  ];
  for (const [what, path, status, body] of cases) {
    it(what, async () => {
      const r = await get(`${sim.url}${path}`);
      expect(r.status).toBe(status);
      expect(r.json).toEqual(body);
    });
  }
});
