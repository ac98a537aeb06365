// Starts a pipeline with a `zendesk_webhook` source on 127.0.0.1:0 and finds its URL in the
// logs; signs and posts webhooks the way Zendesk does.

import { Agent, request } from 'undici';
import { startPipeline, type Pipeline } from '../../../src/app/start.js';
import { sign } from '../../../src/sources/zendesk-webhook/verify.js';
import { captureLogs, settle, tempDir } from '../../support/probe.js';

export const SECRET = 'dGVzdC1zaWduaW5nLXNlY3JldC1ub3QtcmVhbA==';

export interface WebhookRun {
  pipeline: Pipeline;
  url: string;
  logs: string[];
  dataDir: string;
}

export async function startWebhookRun(source: Record<string, unknown>, sinks: Record<string, unknown>[], extra: Record<string, unknown> = {}): Promise<WebhookRun> {
  const logs = captureLogs();
  const dataDir = tempDir('zsf-webhook-');
  const pipeline = await startPipeline(
    {
      dataDir,
      api: { enabled: false },
      log: { level: 'info' },
      sources: [{ id: 'hooks', type: 'zendesk_webhook', listen: '127.0.0.1:0', endpoints: [{ path: '/zendesk/acme', secret: SECRET, account: 'acme' }], ...source }],
      sinks,
      ...extra,
    },
    { logDestination: logs.stream },
  );
  let url: string | undefined;
  for (let i = 0; i < 20_000 && !url; i++) {
    const line = logs.lines.find((l) => l.includes('webhook listener ready'));
    if (line) url = (JSON.parse(line) as { url: string }).url;
    else await settle(1);
  }
  if (!url) throw new Error(`webhook listener did not start: ${logs.lines.join('\n')}`);
  return { pipeline, url, logs: logs.lines, dataDir };
}

export function envelope(id: string, type = 'zen:event-type:user.role_changed', time = '2026-11-30T12:00:00Z'): Record<string, unknown> {
  return {
    account_id: 12514403,
    detail: { id: '6596848315901', email: 'agent@example.com', role: 'admin', created_at: '2024-01-01T00:00:00Z', updated_at: time, organization_id: null, default_group_id: '1', external_id: null },
    event: { previous: 'agent', current: 'admin' },
    id,
    subject: 'zen:user:6596848315901',
    time,
    type,
    zendesk_event_version: '2022-11-06',
  };
}

export interface PostOptions {
  secret?: string;
  timestamp?: string;
  contentType?: string;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  localAddress?: string;
  raw?: string | Buffer;
}

const agents = new Map<string, Agent>();
function agentFor(localAddress: string): Agent {
  let a = agents.get(localAddress);
  if (!a) agents.set(localAddress, (a = new Agent({ localAddress, connections: 16 })));
  return a;
}

export async function post(base: string, body: unknown, o: PostOptions = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; json: Record<string, unknown> }> {
  const raw = o.raw ?? JSON.stringify(body);
  const timestamp = o.timestamp ?? new Date().toISOString();
  const res = await request(`${base}${o.path ?? '/zendesk/acme'}`, {
    method: (o.method ?? 'POST') as 'POST',
    dispatcher: agentFor(o.localAddress ?? '127.0.0.1'),
    headers: {
      'content-type': o.contentType ?? 'application/json',
      'x-zendesk-webhook-signature-timestamp': timestamp,
      'x-zendesk-webhook-signature': sign(o.secret ?? SECRET, timestamp, raw),
      ...o.headers,
    },
    ...(o.method === 'GET' ? {} : { body: raw }),
    headersTimeout: 20_000,
    bodyTimeout: 20_000,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export async function closeAgents(): Promise<void> {
  for (const a of agents.values()) await a.close();
  agents.clear();
}
