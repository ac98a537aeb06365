// Access logs: method -> API Activity activity (read-only POSTs are Read), status -> Failure
// at >= 400, HTTP/URL fields, GraphQL operations.

import { describe, expect, it } from 'vitest';
import { validateEcs, validateOcsf } from '../support/schema-validator.js';
import { accessRecord, example, makeTransform, one } from './helpers.js';

type Json = Record<string, unknown>;

const ocsf = makeTransform('ocsf');
const ecs = makeTransform('ecs');

describe('access log activity by method', () => {
  const cases: [string, Json, number, string, string[]][] = [
    ['GET', { method: 'GET' }, 2, 'Read', ['access']],
    ['HEAD', { method: 'HEAD' }, 2, 'Read', ['access']],
    ['OPTIONS', { method: 'OPTIONS' }, 2, 'Read', ['access']],
    ['POST create', { method: 'POST', url: '/api/v2/tickets.json', summary: 'Create ticket' }, 1, 'Create', ['access', 'creation']],
    ['POST search (path)', { method: 'POST', url: '/api/v2/search?query=foobar', summary: null }, 2, 'Read', ['access']],
    ['POST show_many (path)', { method: 'POST', url: '/api/v2/users/show_many.json', summary: null }, 2, 'Read', ['access']],
    ['POST read summary', { method: 'POST', url: '/api/v2/things', summary: 'Search tickets' }, 2, 'Read', ['access']],
    ['POST GraphQL query', { method: 'POST', url: '/graphql', graphql: { operation_name: 'ticket', operation_type: 'QUERY' } }, 2, 'Read', ['access']],
    ['POST GraphQL mutation', { method: 'POST', url: '/graphql', graphql: { operation_name: 'updateTicket', operation_type: 'MUTATION' } }, 3, 'Update', ['access', 'change']],
    ['PUT', { method: 'PUT' }, 3, 'Update', ['access', 'change']],
    ['PATCH', { method: 'PATCH' }, 3, 'Update', ['access', 'change']],
    ['DELETE', { method: 'DELETE' }, 4, 'Delete', ['access', 'deletion']],
    ['lower-case method', { method: 'delete' }, 4, 'Delete', ['access', 'deletion']],
    ['unknown method', { method: 'PURGE' }, 99, 'PURGE', ['access']],
    ['missing method', { method: null }, 0, 'Unknown', ['access']],
  ];
  it.each(cases)('%s', async (_name, raw, activityId, activityName, ecsType) => {
    const rec = accessRecord(raw);
    const o = (await one(ocsf, rec)).body;
    expect(validateOcsf(o)).toEqual([]);
    expect(o).toMatchObject({ class_uid: 6003, activity_id: activityId, activity_name: activityName });
    const e = (await one(ecs, rec)).body;
    expect(validateEcs(e)).toEqual([]);
    // ECS expects only access/error/info under web: a change is api only.
    expect((e.event as Json).category).toEqual(ecsType.length === 1 ? ['api', 'web'] : ['api']);
    expect((e.event as Json).type).toEqual(ecsType);
  });
});

describe('access log status', () => {
  const cases: [number | null, number, string, string | undefined][] = [
    [200, 1, 'success', undefined],
    [304, 1, 'success', undefined],
    [400, 2, 'failure', 'error'],
    [401, 2, 'failure', 'denied'],
    [403, 2, 'failure', 'denied'],
    [429, 2, 'failure', 'error'],
    [500, 2, 'failure', 'error'],
    [null, 0, 'unknown', undefined],
  ];
  it.each(cases)('status %s -> status_id %i, outcome %s', async (status, statusId, outcome, extraType) => {
    const rec = accessRecord({ status });
    const o = (await one(ocsf, rec)).body;
    expect(validateOcsf(o)).toEqual([]);
    expect(o.status_id).toBe(statusId);
    if (status === null) expect(o.http_response).toBeUndefined();
    else expect(o.http_response).toEqual({ code: status, length: 1234 });
    const e = (await one(ecs, rec)).body;
    expect(validateEcs(e)).toEqual([]);
    expect((e.event as Json).outcome).toBe(outcome);
    if (extraType) expect((e.event as Json).type).toContain(extraType);
  });
});

describe('access log fields', () => {
  it('maps the documented example: search POST and GraphQL query', async () => {
    const [search, graphql] = example('access_logs.page.verbatim.json').access_logs as Json[];
    const s = (await one(ocsf, { account: 'acme', stream: 'access_log', id: String(search!.id), time: 0, raw: search! })).body;
    expect(s).toMatchObject({
      activity_id: 2,
      api: { operation: 'Search tickets', request: { uid: '01H6PWD1WQFC6EYJCJWFJ59EVE' }, group: { name: 'Search' } },
      http_request: { http_method: 'POST', url: { path: '/api/v2/search', query_string: 'query=foobar' }, referrer: '/agent/dashboard' },
      http_response: { code: 200, length: 1234 },
      src_endpoint: { ip: '127.0.0.1' },
      actor: { user: { uid: '123' } },
      time: Date.parse('2020-01-01T13:01:26Z'),
      unmapped: { authorization_type: 'basic', category: 'Search' },
    });
    const g = (await one(ocsf, { account: 'acme', stream: 'access_log', id: String(graphql!.id), time: 0, raw: graphql! })).body;
    expect(g.activity_id).toBe(2);
    expect((g.api as Json).operation).toBe('View ticket');
    expect(((g.unmapped as Json).graphql as Json).operation_type).toBe('QUERY');
    const e = (await one(ecs, { account: 'acme', stream: 'access_log', id: String(search!.id), time: 0, raw: search! })).body;
    expect(e).toMatchObject({
      url: { original: '/api/v2/search?query=foobar', path: '/api/v2/search', query: 'query=foobar' },
      http: { request: { method: 'POST', referrer: '/agent/dashboard' }, response: { status_code: 200, bytes: 1234 } },
      user_agent: { original: expect.stringMatching(/^Mozilla/) },
      source: { ip: '127.0.0.1' },
      related: { ip: ['127.0.0.1'], user: ['123'] },
    });
  });

  it('uses the GraphQL operation when there is no summary, and names the resource a path addresses', async () => {
    const o = (await one(ocsf, accessRecord({ method: 'POST', url: '/graphql', summary: null, graphql: { operation_name: 'updateTicket', operation_type: 'MUTATION' } }))).body;
    expect((o.api as Json).operation).toBe('mutation updateTicket');
    const r = (await one(ocsf, accessRecord({ url: '/api/v2/tickets/123.json' }))).body;
    expect(r.resources).toEqual([{ type: 'tickets', uid: '123' }]);
    const fallback = (await one(ocsf, accessRecord({ method: 'GET', url: '/api/v2/tickets.json?page=2', summary: null }))).body;
    expect((fallback.api as Json).operation).toBe('GET /api/v2/tickets.json');
  });

  it('maps the webhook access_log.created item (string user_id, origin_service)', async () => {
    const item = ((example('webhook.access_log_created.verbatim.json').event as Json).access_logs as Json[])[0]!;
    const rec = { account: 'acme', stream: 'access_log', id: String(item.id), time: 0, raw: item };
    const o = (await one(ocsf, rec)).body;
    expect(validateOcsf(o)).toEqual([]);
    expect(o.actor).toEqual({ user: { uid: '6596848315901' } });
    expect((o.unmapped as Json).origin_service).toBe('Zendesk');
    expect(validateEcs((await one(ecs, rec)).body)).toEqual([]);
  });

  it('keeps IPv6 addresses and drops invalid ones', async () => {
    const v6 = (await one(ocsf, accessRecord({ ip_address: '2001:db8::42' }))).body;
    expect(v6.src_endpoint).toEqual({ ip: '2001:db8::42' });
    const bad = (await one(ocsf, accessRecord({ ip_address: 'not-an-ip' }))).body;
    expect(bad.src_endpoint).toEqual({ name: 'unknown' });
    expect(validateOcsf(bad)).toEqual([]);
  });
});

describe('access log URLs and ECS categories (strict schema rules)', () => {
  it('builds the absolute URL from the account origin: OCSF url_string, ECS url.full; the path stays in url.path', async () => {
    const rec = accessRecord({ method: 'GET', url: '/api/v2/users/360000103288?include=roles' });
    const o = (await one(ocsf, rec)).body;
    expect(validateOcsf(o)).toEqual([]);
    expect((o.http_request as Json).url).toEqual({
      url_string: 'https://acme.zendesk.com/api/v2/users/360000103288?include=roles',
      hostname: 'acme.zendesk.com',
      scheme: 'https',
      path: '/api/v2/users/360000103288',
      query_string: 'include=roles',
    });
    const e = (await one(ecs, rec)).body;
    expect(validateEcs(e)).toEqual([]);
    expect(e.url).toMatchObject({ original: '/api/v2/users/360000103288?include=roles', full: 'https://acme.zendesk.com/api/v2/users/360000103288?include=roles', domain: 'acme.zendesk.com', path: '/api/v2/users/360000103288' });
  });

  it('uses a configured baseUrl as the origin, and omits the absolute URL when the account is unknown', async () => {
    const viaProxy = makeTransform('ocsf', {}, { zendesk: { accounts: [{ name: 'acme', baseUrl: 'http://127.0.0.1:8089/ignored' }] } });
    const o = (await one(viaProxy, accessRecord({ url: '/graphql' }))).body;
    expect(((o.http_request as Json).url as Json).url_string).toBe('http://127.0.0.1:8089/graphql');
    const unknown = makeTransform('ocsf', {}, {});
    const u = (await one(unknown, accessRecord({ url: '/graphql' }))).body;
    expect(validateOcsf(u)).toEqual([]);
    expect((u.http_request as Json).url).toEqual({ path: '/graphql' });
  });

  it.each([
    ['failed read', { method: 'GET', status: 500 }, ['web'], ['access', 'error']],
    ['denied delete', { method: 'DELETE', status: 403 }, ['api'], ['access', 'deletion', 'denied']],
    ['failed change', { method: 'PUT', status: 500 }, ['api'], ['access', 'change']],
    ['read', { method: 'GET', status: 200 }, ['api', 'web'], ['access']],
  ] as const)('%s: ECS categories whose expected types fit', async (_name, raw, category, type) => {
    const e = (await one(ecs, accessRecord(raw))).body;
    expect(validateEcs(e)).toEqual([]);
    expect((e.event as Json).category).toEqual(category);
    expect((e.event as Json).type).toEqual(type);
  });
});
