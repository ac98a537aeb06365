// Shared helpers for the transform tests: build a transform the way the config loader
// does (its options shape parsed with defaults), run it, and make small records.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { sectionDefault, type BuildEnv, type ConfigSection } from '../../src/core/plugin.js';
import { recordToEvent, type PipelineEvent, type SourceRecord, type Transform } from '../../src/core/types.js';
import { transformPlugins } from '../../transforms/index.js';
import { SCHEMAS_DIR } from '../support/schema-validator.js';

export const EXAMPLES_DIR = join(SCHEMAS_DIR, '..', 'zendesk', 'examples');

/** The zendesk section the transforms read account origins from (absolute access-log URLs). */
export const ACME_CONFIG = { zendesk: { accounts: [{ name: 'acme', subdomain: 'acme' }] } };

export function makeTransform(type: string, options: Record<string, unknown> = {}, pipelineConfig: unknown = ACME_CONFIG): Transform {
  const plugin = transformPlugins.find((p) => p.type === type);
  if (!plugin) throw new Error(`no transform ${type}`);
  const config = z.strictObject(plugin.options).parse(options);
  // Sections are read as given (not parsed: the test configs leave out credentials).
  const section = <T>(s: ConfigSection<T>): T => ((pipelineConfig as Record<string, unknown>)[s.key] ?? sectionDefault(s)) as T;
  return plugin.create({ ...config, id: `t_${type}`, type, inputs: ['src'] } as never, { section } as BuildEnv);
}

export async function run(t: Transform, input: SourceRecord | PipelineEvent): Promise<PipelineEvent[]> {
  const event = 'meta' in input ? input : recordToEvent(input);
  const out = await t(event);
  if (!out) return [];
  return Array.isArray(out) ? out : [out];
}

export async function one(t: Transform, input: SourceRecord | PipelineEvent): Promise<PipelineEvent> {
  const out = await run(t, input);
  if (out.length !== 1) throw new Error(`expected one event, got ${out.length}`);
  return out[0]!;
}

export function example(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(EXAMPLES_DIR, file), 'utf8')) as Record<string, unknown>;
}

let n = 0;
export function auditRecord(raw: Record<string, unknown>, account = 'acme'): SourceRecord {
  const full = {
    id: 900_000 + ++n,
    action: 'update',
    actor_id: 1234,
    actor_name: 'Sameer Patel',
    change_description: '',
    created_at: '2026-03-05T11:32:44Z',
    ip_address: '209.119.38.228',
    source_id: 3456,
    source_label: 'John Doe',
    source_type: 'user',
    url: 'https://acme.zendesk.com/api/v2/audit_logs/1',
    ...raw,
  };
  return { account, stream: 'audit_log', id: String(full.id), time: Date.parse(String(full.created_at)) || 0, raw: full };
}

export function accessRecord(raw: Record<string, unknown>): SourceRecord {
  const full = {
    id: `01H6PWD1WQFC6EYJCJWFJ${String(++n).padStart(5, '0')}`,
    timestamp: '2026-01-01T13:01:26Z',
    user_id: 123,
    ip_address: '203.0.113.9',
    method: 'GET',
    url: '/api/v2/tickets/123.json',
    status: 200,
    bytes_sent: 1234,
    client: 'Mozilla/5.0',
    ...raw,
  };
  return { account: 'acme', stream: 'access_log', id: String(full.id), time: 0, raw: full };
}

export function ticketRecord(raw: Record<string, unknown>): SourceRecord {
  const full = {
    id: 2127301143 + ++n,
    ticket_id: 666,
    created_at: '2026-01-25T22:35:44Z',
    author_id: 5246746,
    metadata: { system: { ip_address: '76.218.201.212', client: 'Mozilla/5.0', location: 'San Francisco, CA, United States' }, custom: {} },
    via: { channel: 'web' },
    events: [],
    ...raw,
  };
  return { account: 'acme', stream: 'ticket_audit', id: String(full.id), time: 0, raw: full };
}
