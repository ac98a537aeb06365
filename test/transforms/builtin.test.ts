// The generic transforms (filter, redact, add_fields, rename): behaviour, no mutation of the
// shared input, and validation through the real config schema (YAML).

import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfigObject } from '../../src/app/config.js';
import type { PipelineEvent } from '../../src/core/types.js';
import { getAll, parsePath } from '../../transforms/builtin/paths.js';
import { makeTransform, run } from './helpers.js';

type Json = Record<string, unknown>;

const event = (body: Json, meta: Partial<PipelineEvent['meta']> = {}): PipelineEvent => ({
  meta: { id: 'acme:audit_log:1', account: 'acme', stream: 'audit_log', time: 0, schema: 'ocsf', ...meta },
  body,
});

const sample = (): Json => ({
  class_uid: 6003,
  activity_id: 2,
  status_code: '404',
  http_response: { code: 404 },
  actor: { user: { name: 'svc-bot', email_addr: 'bot@example.com' } },
  metadata: { labels: ['risk:access_denied'] },
  unmapped: { events: [{ type: 'Comment', body: 'mail me at jane@example.com' }, { type: 'Change', body: 'x' }] },
  message: 'Contact jane.doe+x@sub.example.co.uk or bob@example.com',
});

describe('paths', () => {
  it('parses dots, escapes and fans out through arrays', () => {
    expect(parsePath('a.b\\.c.d')).toEqual(['a', 'b.c', 'd']);
    expect(() => parsePath('a..b')).toThrow(/empty segment/);
    expect(getAll(sample(), parsePath('unmapped.events.type'))).toEqual(['Comment', 'Change']);
    expect(getAll(sample(), parsePath('unmapped.events.1.type'))).toEqual(['Change']);
    expect(getAll(sample(), parsePath('unmapped.*.0.type'))).toEqual(['Comment']);
    expect(getAll(sample(), parsePath('metadata.labels'))).toEqual(['risk:access_denied']);
    expect(getAll(sample(), parsePath('nope.x'))).toEqual([]);
  });
});

describe('filter', () => {
  const keepOnly = async (options: Json, body: Json = sample(), meta: Partial<PipelineEvent['meta']> = {}) => (await run(makeTransform('filter', options), event(body, meta))).length === 1;

  const cases: [string, Json, boolean][] = [
    ['equals (number)', { field: 'class_uid', equals: 6003 }, true],
    ['equals (numeric string vs number)', { field: 'status_code', equals: 404 }, true],
    ['equals miss', { field: 'class_uid', equals: 3002 }, false],
    ['in', { field: 'activity_id', in: [1, 2] }, true],
    ['in miss', { field: 'activity_id', in: [3] }, false],
    ['regex', { field: 'actor.user.name', regex: '^svc-' }, true],
    ['regex miss', { field: 'actor.user.name', regex: '^human' }, false],
    ['exists', { field: 'metadata.labels', exists: true }, true],
    ['exists false', { field: 'metadata.profiles', exists: false }, true],
    ['gte', { field: 'http_response.code', gte: 400 }, true],
    ['lt', { field: 'http_response.code', lt: 400 }, false],
    ['range (gte + lt)', { field: 'http_response.code', gte: 400, lt: 500 }, true],
    ['array member', { field: 'metadata.labels', equals: 'risk:access_denied' }, true],
    ['array fan-out', { field: 'unmapped.events.type', equals: 'Change' }, true],
    ['not', { field: 'class_uid', equals: 6003, not: true }, false],
    ['$meta', { field: '$meta.stream', equals: 'audit_log' }, true],
    ['$meta miss', { field: '$meta.stream', in: ['access_log'] }, false],
  ];
  it.each(cases)('mode keep, %s', async (_n, condition, kept) => {
    expect(await keepOnly({ mode: 'keep', conditions: [condition] })).toBe(kept);
  });

  it('mode drop (default) removes matching events, match all/any', async () => {
    expect(await keepOnly({ conditions: [{ field: 'class_uid', equals: 6003 }] })).toBe(false);
    expect(await keepOnly({ conditions: [{ field: 'class_uid', equals: 6003 }, { field: 'activity_id', equals: 9 }] })).toBe(true);
    expect(await keepOnly({ match: 'any', conditions: [{ field: 'class_uid', equals: 6003 }, { field: 'activity_id', equals: 9 }] })).toBe(false);
  });

  it('rejects bad conditions', () => {
    expect(() => makeTransform('filter', { conditions: [{ field: 'a' }] })).toThrow(/at least one of/);
    expect(() => makeTransform('filter', { conditions: [{ field: 'a', regex: '(' }] })).toThrow(/invalid regex/);
    expect(() => makeTransform('filter', { conditions: [{ field: 'a..b', exists: true }] })).toThrow(/empty segment/);
    expect(() => makeTransform('filter', { conditions: [] })).toThrow();
  });
});

describe('redact', () => {
  it('removes, masks and hashes paths without touching the input', async () => {
    const input = sample();
    const before = JSON.stringify(input);
    const [out] = await run(
      makeTransform('redact', {
        fields: [
          { path: 'unmapped.events.*.body', action: 'remove' },
          { path: 'actor.user.email_addr', action: 'hash' },
          { path: 'actor.user.name', action: 'mask' },
        ],
        hashSalt: 's3cret',
      }),
      event(input),
    );
    expect(JSON.stringify(input)).toBe(before);
    const b = out!.body;
    expect((b.unmapped as Json).events).toEqual([{ type: 'Comment' }, { type: 'Change' }]);
    expect((b.actor as Json).user).toMatchObject({ name: '[REDACTED]', email_addr: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('hashes are stable for the same salt and differ across salts', async () => {
    const h = async (salt: string) => ((((await run(makeTransform('redact', { fields: [{ path: 'actor.user.email_addr', action: 'hash' }], hashSalt: salt }), event(sample())))[0]!.body.actor as Json).user as Json).email_addr);
    expect(await h('a')).toBe(await h('a'));
    expect(await h('a')).not.toBe(await h('b'));
  });

  it('masks e-mail addresses anywhere with maskEmails', async () => {
    const [out] = await run(makeTransform('redact', { maskEmails: true, mask: '<email>' }), event(sample()));
    const text = JSON.stringify(out!.body);
    expect(text).not.toMatch(/@example\.com|@sub\.example/);
    expect(out!.body.message).toBe('Contact <email> or <email>');
  });

  it('removes array elements by index and wildcard', async () => {
    const [out] = await run(makeTransform('redact', { fields: [{ path: 'unmapped.events.0' }] }), event(sample()));
    expect((out!.body.unmapped as Json).events).toEqual([{ type: 'Change', body: 'x' }]);
    const [all] = await run(makeTransform('redact', { fields: [{ path: 'unmapped.events.*' }] }), event(sample()));
    expect((all!.body.unmapped as Json).events).toEqual([]);
  });

  it('needs something to do', () => {
    expect(() => makeTransform('redact', {})).toThrow(/list fields or set maskEmails/);
  });
});

describe('add_fields', () => {
  it('sets values, creating objects, and respects overwrite', async () => {
    const [out] = await run(makeTransform('add_fields', { fields: { 'unmapped.env': 'prod', 'metadata.tenant_uid': 'emea', class_uid: 1 } }), event(sample()));
    expect(out!.body).toMatchObject({ unmapped: { env: 'prod' }, metadata: { tenant_uid: 'emea' }, class_uid: 1 });
    const [kept] = await run(makeTransform('add_fields', { fields: { class_uid: 1, 'x.y': [1, { z: true }] }, overwrite: false }), event(sample()));
    expect(kept!.body).toMatchObject({ class_uid: 6003, x: { y: [1, { z: true }] } });
  });

  it('refuses wildcards in target paths', () => {
    expect(() => makeTransform('add_fields', { fields: { 'a.*': 1 } })).toThrow(/is not allowed in a target path/);
  });
});

describe('rename', () => {
  it('moves values and skips missing ones', async () => {
    const input = sample();
    const [out] = await run(makeTransform('rename', { fields: { 'actor.user.name': 'actor.user.display_name', 'no.such': 'x', status_code: 'unmapped.status_code' } }), event(input));
    expect((out!.body.actor as Json).user).toEqual({ display_name: 'svc-bot', email_addr: 'bot@example.com' });
    expect((out!.body.unmapped as Json).status_code).toBe('404');
    expect(out!.body.status_code).toBeUndefined();
    expect(out!.body.x).toBeUndefined();
    expect((input.actor as Json).user).toMatchObject({ name: 'svc-bot' });
  });

  it('does not overwrite when told not to', async () => {
    const [out] = await run(makeTransform('rename', { fields: { class_uid: 'activity_id' }, overwrite: false }), event(sample()));
    expect(out!.body).toMatchObject({ class_uid: 6003, activity_id: 2 });
  });
});

describe('config (YAML) validation', () => {
  const yaml = (transforms: string) => `
sources:
  - { id: gen, type: generator, count: 1 }
transforms:
${transforms}
sinks:
  - { id: out, type: file, inputs: [last], path: out.ndjson }
`;
  const problems = (text: string): string[] => {
    try {
      loadConfigObject(parseYaml(text), { env: {} });
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
  };

  it('accepts a full chain of transforms', () => {
    expect(
      problems(
        yaml(`
  - { id: ocsf, type: ocsf, inputs: [gen], newIpWindow: 7d, ticketAudits: per_child }
  - { id: keep, type: filter, inputs: [ocsf], mode: keep, conditions: [ { field: severity_id, gte: 3 }, { field: "$meta.stream", in: [audit_log] } ] }
  - { id: red, type: redact, inputs: [keep], fields: [ { path: unmapped.events.body }, { path: actor.user.name, action: hash } ], maskEmails: true }
  - { id: add, type: add_fields, inputs: [red], fields: { unmapped.env: prod } }
  - { id: last, type: rename, inputs: [add], fields: { unmapped.env: unmapped.environment } }
`),
      ),
    ).toEqual([]);
  });

  it('reports bad transform options with their path', () => {
    const p = problems(
      yaml(`
  - { id: ocsf, type: ocsf, inputs: [gen], ticketAudits: sometimes, colour: blue }
  - { id: last, type: filter, inputs: [ocsf], conditions: [ { field: x, regex: "(" } ] }
`),
    ).join('\n');
    expect(p).toMatch(/ticketAudits/);
    expect(p).toMatch(/colour/);
    expect(p).toMatch(/invalid regex/);
  });
});
