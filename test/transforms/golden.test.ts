// Golden files for a handful of representative records: the exact OCSF and ECS output.
// A change to a mapping shows up here as a diff to review. Regenerate with
//   UPDATE_GOLDEN=1 npx vitest run test/transforms/golden.test.ts

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../src/core/types.js';
import { validateEcs, validateOcsf } from '../support/schema-validator.js';
import { accessRecord, auditRecord, example, makeTransform, run } from './helpers.js';

type Json = Record<string, unknown>;

const GOLDEN_DIR = fileURLToPath(new URL('../fixtures/transforms/golden/', import.meta.url));

const audit = (raw: Json): SourceRecord => ({ account: 'acme', stream: 'audit_log', id: String(raw.id), time: Date.parse(String(raw.created_at)), raw });
const pages = example('audit_logs.page.json').audit_logs as Json[];

const cases: [string, SourceRecord][] = [
  ['audit-role-change', audit((example('audit_log.show.verbatim.json').audit_log as Json))],
  ['audit-api-token-created', audit(pages[2]!)],
  ['audit-failed-sign-in', { ...auditRecord({ id: 498471, action: 'login', source_id: 1234, source_label: 'Sameer Patel', change_description: 'Failed sign-in using SAML from Oslo, Norway', created_at: '2026-03-05T11:30:02Z', ip_address: '2001:db8::17' }), id: '498471' }],
  ['audit-2fa-disabled', { ...auditRecord({ id: 498490, source_type: 'account_setting', source_id: 1, source_label: 'Two-Factor authentication for all admins and agents', change_description: 'Disabled', created_at: '2026-03-05T12:00:00Z' }), id: '498490' }],
  ['audit-unknown-source-type', { ...auditRecord({ id: 498495, source_type: 'voice_greeting', action: 'create', source_id: 9, source_label: 'Welcome', change_description: 'Greeting created', created_at: '2026-03-05T12:05:00Z' }), id: '498495' }],
  ['ticket-audit', { account: 'acme', stream: 'ticket_audit', id: '2127301143', time: 0, raw: (example('ticket_audits.for_ticket.page.verbatim.json').audits as Json[])[0]! }],
  ['ticket-event-incremental', { account: 'acme', stream: 'ticket_audit', id: '91048994468', time: 0, raw: (example('incremental_ticket_events.page.json').ticket_events as Json[])[0]! }],
  ['access-graphql', { account: 'acme', stream: 'access_log', id: '01H9KB1CDRX2RVDS7E2R4YJ0TS', time: 0, raw: (example('access_logs.page.verbatim.json').access_logs as Json[])[1]! }],
  ['access-denied-delete', { ...accessRecord({ id: '01J00000000000000000000DEL', method: 'DELETE', url: '/api/v2/tickets/42.json', status: 403, summary: 'Delete ticket', category: 'Tickets', timestamp: '2026-01-02T03:04:05Z' }), id: '01J00000000000000000000DEL' }],
];

function compare(file: string, actual: unknown): void {
  const path = join(GOLDEN_DIR, file);
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(path, text);
  }
  if (!existsSync(path)) throw new Error(`golden file ${file} is missing; run with UPDATE_GOLDEN=1 to create it`);
  expect(JSON.parse(text)).toEqual(JSON.parse(readFileSync(path, 'utf8')));
}

describe('golden files', () => {
  it.each(cases)('%s', async (name, rec) => {
    const o = await run(makeTransform('ocsf'), rec);
    const e = await run(makeTransform('ecs'), rec);
    for (const x of o) expect(validateOcsf(x.body)).toEqual([]);
    for (const x of e) expect(validateEcs(x.body)).toEqual([]);
    compare(`${name}.ocsf.json`, o);
    compare(`${name}.ecs.json`, e);
  });

  it('the raw transform adds the deterministic id, account and stream', async () => {
    const [out] = await run(makeTransform('raw'), cases[0]![1]);
    compare('audit-role-change.raw.json', out);
  });
});
