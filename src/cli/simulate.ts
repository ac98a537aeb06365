// `zsf simulate`: runs the Zendesk API simulator (src/simulator) until Ctrl-C, for trying the
// forwarder, the demo or a client against a local, deterministic "Zendesk".

import { InvalidArgumentError, type Command } from 'commander';
import { readFileSync } from 'node:fs';
import { startWebhookSender } from '../simulator/webhook-sender.js';
import { DEMO_CREDENTIALS, DEMO_OAUTH_TOKEN, parseFaultSpec, startSimulator, type FaultRule, type LiveOptions, type StreamName } from '../simulator/index.js';

function count(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
    return Number(v);
  };
}

function collectFault(v: string, prev: FaultRule[]): FaultRule[] {
  try {
    return [...prev, parseFaultSpec(v)];
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
}

function collectLive(v: string, prev: LiveOptions): LiveOptions {
  const m = /^(audit_logs|ticket_events|access_logs)=(\d+(?:\.\d+)?)$/.exec(v);
  if (!m) throw new InvalidArgumentError('expected stream=perMinute, e.g. audit_logs=60');
  return { ...prev, [m[1] as StreamName]: { perMinute: Number(m[2]) } };
}

interface SimulateOptions {
  port: number;
  host: string;
  seed: number;
  auditLogs: number;
  accessLogs: number;
  ticketEvents: number;
  days: number;
  limits: boolean;
  accountLimit: number;
  windowMs: number;
  fault: FaultRule[];
  live: LiveOptions;
  forbidden?: boolean;
  descendingOnly?: boolean;
  nextLinkDropsFilters?: boolean;
  cursorCycle?: boolean;
  webhookUrl?: string;
  webhookSecretFile?: string;
  webhookRate: number;
  webhookBadSignature: number;
  webhookStale: number;
  webhookOversized: number;
}

function fraction(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`${name} must be a fraction between 0 and 1`);
    return n;
  };
}

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('run a local Zendesk API simulator (audit logs, incremental ticket events, access logs) until Ctrl-C')
    .option('-p, --port <port>', 'port to listen on (0 picks a free one)', count('port'), 8089)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--seed <n>', 'random seed; same seed, same data', count('seed'), 1)
    .option('--audit-logs <n>', 'number of audit log records', count('audit-logs'), 2000)
    .option('--access-logs <n>', 'number of access log records', count('access-logs'), 3000)
    .option('--ticket-events <n>', 'number of incremental ticket events', count('ticket-events'), 1500)
    .option('--days <n>', 'how many days back the data goes', count('days'), 7)
    .option('--no-limits', 'turn all rate limits off (benchmarks)')
    .option('--account-limit <n>', 'account-wide requests per minute (700 = Enterprise)', count('account-limit'), 700)
    .option('--window-ms <ms>', 'rate-limit window length', count('window-ms'), 60_000)
    .option(
      '--fault <spec>',
      'inject a fault, repeatable: endpoint:kind[:key=value,...] with endpoint one of *, audit_logs, audit_log, ticket_events, access_logs and kind one of 5xx, 429, slow, malformed (truncated JSON), repeat, late, disconnect, html200 (an HTML page with status 200), redirect (302 to https://redirect.invalid); keys on, times (how many requests), status, retryAfter, delayMs, repeat, count and ageSeconds (late). Example: audit_logs:5xx:status=503,times=3,retryAfter=2',
      collectFault,
      [] as FaultRule[],
    )
    .option('--live <stream=perMinute>', 'keep appending new records, repeatable, e.g. audit_logs=60', collectLive, {} as LiveOptions)
    .option('--forbidden', 'answer 403 everywhere, as an account without Enterprise / the ADPP add-on')
    .option('--descending-only', 'audit and access logs: newest first whatever sort asks for')
    .option('--next-link-drops-filters', "audit and access logs: links.next without the request's filters")
    .option('--cursor-cycle', 'audit logs: the third page points back to the second (A -> B -> A), forever')
    .option('--webhook-url <url>', 'also send signed Zendesk event webhooks to this zendesk_webhook endpoint')
    .option('--webhook-secret-file <path>', 'signing secret for --webhook-url')
    .option('--webhook-rate <n>', 'webhooks per second', count('webhook-rate'), 5)
    .option('--webhook-bad-signature <fraction>', 'fraction sent with a wrong signature', fraction('webhook-bad-signature'), 0)
    .option('--webhook-stale <fraction>', 'fraction sent with an hour-old timestamp', fraction('webhook-stale'), 0)
    .option('--webhook-oversized <fraction>', 'fraction sent with a 2 MiB body', fraction('webhook-oversized'), 0)
    .action(async (o: SimulateOptions) => {
      if (o.webhookUrl && !o.webhookSecretFile) throw new InvalidArgumentError('--webhook-url needs --webhook-secret-file');
      const nowMs = Date.now();
      const sim = await startSimulator({
        seed: o.seed,
        host: o.host,
        port: o.port,
        data: { auditLogs: o.auditLogs, accessLogs: o.accessLogs, ticketEvents: o.ticketEvents, startTime: nowMs - 120_000 - o.days * 86_400_000 },
        limits: { enabled: o.limits, accountPerMinute: o.accountLimit, windowMs: o.windowMs },
        faults: o.fault,
        live: o.live,
        auth: { email: DEMO_CREDENTIALS.email, token: DEMO_CREDENTIALS.token, oauthTokens: [DEMO_OAUTH_TOKEN], forbidden: o.forbidden ?? false },
        behaviour: { descendingOnly: o.descendingOnly ?? false, nextLinkDropsFilters: o.nextLinkDropsFilters ?? false, cursorCycle: o.cursorCycle ?? false },
      });
      const basic = Buffer.from(`${DEMO_CREDENTIALS.email}/token:${DEMO_CREDENTIALS.token}`).toString('base64');
      console.log(`Zendesk simulator listening on ${sim.url}`);
      console.log(`  email:       ${DEMO_CREDENTIALS.email}`);
      console.log(`  api token:   ${DEMO_CREDENTIALS.token}`);
      console.log(`  oauth token: ${DEMO_OAUTH_TOKEN}`);
      console.log(`  subdomain:   ${DEMO_CREDENTIALS.subdomain} (use baseUrl: ${sim.url})`);
      console.log(`  data:        ${o.auditLogs} audit logs, ${o.ticketEvents} ticket events, ${o.accessLogs} access logs, seed ${o.seed}`);
      console.log(`  limits:      ${o.limits ? `${o.accountLimit}/min account, 10/min incremental, 50/min access logs` : 'off'}`);
      const odd = (['descendingOnly', 'nextLinkDropsFilters', 'cursorCycle'] as const).filter((k) => o[k]);
      if (odd.length) console.log(`  behaviour:   ${odd.join(', ')}`);
      if (o.fault.length) console.log(`  faults:      ${o.fault.map((f) => `${f.endpoint ?? '*'}:${f.kind}`).join(', ')}`);
      console.log(`try: curl -g -H 'Authorization: Basic ${basic}' '${sim.url}/api/v2/audit_logs?filter[created_at][]=2026-01-01T00:00:00Z&filter[created_at][]=2030-01-01T00:00:00Z&page[size]=2'`);
      const sender = o.webhookUrl
        ? startWebhookSender({ url: o.webhookUrl, secret: readFileSync(o.webhookSecretFile!, 'utf8').replace(/\r?\n$/, ''), ratePerSecond: Math.max(1, o.webhookRate), seed: o.seed, badSignature: o.webhookBadSignature, stale: o.webhookStale, oversized: o.webhookOversized })
        : undefined;
      if (sender) console.log(`  webhooks:    ${o.webhookRate}/s to ${o.webhookUrl} (bad signature ${o.webhookBadSignature}, stale ${o.webhookStale}, oversized ${o.webhookOversized})`);
      console.log('Ctrl-C to stop.');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      sender?.stop();
      await sim.close();
      if (sender) console.log(`webhooks by answer: ${JSON.stringify(sender.counts)}`);
      const c = sim.counters;
      console.log(`stopped after ${c.total} requests (${c.tooManyRequests} answered 429, ${c.retryAfterViolations} before Retry-After elapsed)`);
    });
}
