// zendesk_webhook: receipt → sink acceptance latency at 200 requests/s (open loop, loopback,
// disk buffer, ocsf, Splunk HEC receiver), p50/p99 against the goal of p99 < 1 s; and the
// request rate one instance sustains (32 concurrent senders) as a ratio of the raw JSON.parse
// rate of the same bodies.

import { Writable } from 'node:stream';
import { Agent, request } from 'undici';
import { startPipeline } from '../src/app/start.js';
import { mulberry32 } from '../src/simulator/prng.js';
import { signWebhook, webhookSample, WEBHOOK_SAMPLE_TYPES } from '../src/simulator/webhook-sender.js';
import { startHecReceiver } from '../test/receivers/hec.js';
import { tempDir } from '../test/support/probe.js';
import { rate, type BenchRow } from './lib.js';

const SECRET = 'bench-webhook-secret';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export default async function webhookBench(): Promise<BenchRow[]> {
  const hec = await startHecReceiver({ tokens: ['bench-token'] });
  let url = '';
  const logs = new Writable({
    write(chunk, _e, cb) {
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(String(chunk));
      if (m) url = m[1]!;
      cb();
    },
  });
  const p = await startPipeline(
    {
      dataDir: tempDir('zsf-bench-webhook-'),
      api: { enabled: false },
      log: { level: 'info' },
      sources: [{ id: 'hooks', type: 'zendesk_webhook', listen: '127.0.0.1:0', endpoints: [{ path: '/z', secret: SECRET, account: 'acme' }], rateLimit: { perSecond: 1_000_000, burst: 1_000_000 }, maxInFlight: 4096 }],
      transforms: [{ id: 'ocsf', type: 'ocsf', inputs: ['hooks'] }],
      sinks: [{ id: 'splunk', type: 'splunk_hec', inputs: ['ocsf'], endpoint: hec.url, token: 'bench-token', healthcheck: { enabled: false }, buffer: { type: 'disk' }, batch: { maxWait: '20ms' } }],
    },
    { logDestination: logs },
  );
  while (!url) await new Promise((r) => setTimeout(r, 10));
  const agent = new Agent({ connections: 64 });
  const rng = mulberry32(42);
  const bodies = Array.from({ length: 4000 }, (_, i) => JSON.stringify(webhookSample(rng, WEBHOOK_SAMPLE_TYPES[i % WEBHOOK_SAMPLE_TYPES.length]!)));
  const send = async (body: string) => {
    const ts = new Date().toISOString();
    const r = await request(`${url}/z`, { method: 'POST', dispatcher: agent, body, headers: { 'content-type': 'application/json', 'x-zendesk-webhook-signature-timestamp': ts, 'x-zendesk-webhook-signature': signWebhook(SECRET, ts, body) } });
    await r.body.text();
    return r.statusCode;
  };

  // Latency: send times by event id; HEC acceptance times observed as the receiver indexes.
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let seen = 0;
  hec.on('change', () => {
    const now = performance.now();
    for (; seen < hec.indexed.length; seen++) {
      const uid = ((hec.indexed[seen]!.event as { metadata?: { uid?: string } }).metadata?.uid ?? '').split(':').pop()!;
      const t = sentAt.get(uid);
      if (t !== undefined) latencies.push(now - t);
    }
  });
  const n = 2000;
  const start = performance.now();
  const pending: Promise<number>[] = [];
  for (let i = 0; i < n; i++) {
    const due = start + i * 5; // 200/s, open loop
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const body = bodies[i]!;
    sentAt.set((JSON.parse(body) as { id: string }).id, performance.now());
    pending.push(send(body));
  }
  const sendSeconds = (performance.now() - start) / 1000;
  const statuses = await Promise.all(pending);
  const deadline = Date.now() + 30_000;
  while (latencies.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  latencies.sort((a, b) => a - b);
  const ok = statuses.filter((s) => s === 200).length;

  // Sustained rate: 32 senders in a closed loop for 3 s.
  let done = 0;
  const until = performance.now() + 3000;
  let k = 2000;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (performance.now() < until) {
        await send(bodies[k++ % bodies.length]!.replace(/"id":"[^"]+"/, `"id":"bench-${k}"`));
        done++;
      }
    }),
  );
  const sustained = done / 3;
  const parse = rate(bodies, (b) => JSON.parse(b));
  await agent.close();
  await p.stop();
  await hec.close();
  return [
    {
      name: 'webhook → HEC acceptance at 200 req/s (disk buffer, ocsf)',
      eventsPerSec: n / sendSeconds,
      note: `p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms (goal p99 < 1000 ms); ${ok}/${n} answered 200, ${latencies.length} seen at HEC`,
    },
    { name: 'webhook requests sustained (32 concurrent, signed, durable 200)', eventsPerSec: sustained, ratio: sustained / parse, ratioTo: 'JSON.parse of the same bodies' },
  ];
}
