// The webhook listener in a real pipeline: every refusal (status, JSON body, counted by
// reason, the secret never logged), ack only once durable, 503 + Retry-After while a sink is
// blocked, redeliveries answered without a second emit, and a flood from one address that
// cannot starve another.

import { afterAll, describe, expect, it } from 'vitest';
import { probe, settle } from '../../support/probe.js';
import { closeAgents, envelope, post, SECRET, startWebhookRun } from './harness.js';

afterAll(closeAgents);

async function rejected(run: Awaited<ReturnType<typeof startWebhookRun>>): Promise<Record<string, number>> {
  const m = await run.pipeline.metrics.webhookRejected.get();
  return Object.fromEntries(m.values.map((v) => [String(v.labels.reason), v.value]));
}

describe('zendesk_webhook listener', () => {
  it('refuses every bad request with its status and reason, logs without the secret, and emits nothing', async () => {
    const p = probe('wh-reject');
    const run = await startWebhookRun({ maxBodyBytes: 2048 }, [{ id: 'out', type: 'probe', probe: 'wh-reject', inputs: ['hooks'], buffer: { type: 'disk' } }]);
    const ev = envelope('11111111-0000-4000-8000-000000000001');
    const old = new Date(Date.now() - 6 * 60_000).toISOString();
    const cases: [string, Promise<{ status: number; json: Record<string, unknown> }>, number, string][] = [
      ['unknown path', post(run.url, ev, { path: '/zendesk/other' }), 404, 'not_found'],
      ['GET', post(run.url, ev, { method: 'GET' }), 405, 'method'],
      ['text/plain', post(run.url, ev, { contentType: 'text/plain' }), 415, 'content_type'],
      ['oversized', post(run.url, { ...ev, pad: 'x'.repeat(4096) }), 413, 'too_large'],
      ['no signature', post(run.url, ev, { headers: { 'x-zendesk-webhook-signature': '' } }), 401, 'missing_signature'],
      ['wrong secret', post(run.url, ev, { secret: 'not-the-secret' }), 401, 'bad_signature'],
      ['stale timestamp', post(run.url, ev, { timestamp: old }), 401, 'stale_timestamp'],
      ['not JSON', post(run.url, null, { raw: '{"id": "x", ' }), 400, 'invalid_json'],
      ['JSON but no envelope', post(run.url, { hello: 'world' }), 400, 'bad_envelope'],
      ['bad time', post(run.url, { ...ev, time: 'soon' }), 400, 'bad_envelope'],
    ];
    for (const [name, res, status, reason] of cases) {
      const r = await res;
      expect({ name, status: r.status, error: r.json.error }).toEqual({ name, status, error: reason });
    }
    const counts = await rejected(run);
    expect(counts).toEqual({ not_found: 1, method: 1, content_type: 1, too_large: 1, missing_signature: 1, bad_signature: 1, stale_timestamp: 1, invalid_json: 1, bad_envelope: 2 });
    expect(run.logs.filter((l) => l.includes('webhook request refused'))).toHaveLength(10);
    expect(run.logs.join('\n')).not.toContain(SECRET);
    // Still serving: a good request after all that.
    expect((await post(run.url, ev)).status).toBe(200);
    while (p.accepted.length < 1) await settle(5);
    await run.pipeline.stop();
    expect(p.accepted.map((e) => e.meta.id)).toEqual(['acme:webhook:11111111-0000-4000-8000-000000000001']);
  });

  it('answers 200 only once the event is durable; a redelivery is answered 200 without a second emit', async () => {
    const p = probe('wh-ok');
    const run = await startWebhookRun({}, [{ id: 'out', type: 'probe', probe: 'wh-ok', inputs: ['hooks'], buffer: { type: 'disk' } }]);
    const ev = envelope('22222222-0000-4000-8000-000000000002', 'zen:event-type:user.role_changed', '2026-11-30T10:00:00Z');
    const first = await post(run.url, ev);
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ id: ev.id });
    // Durable at 200: the event is in the disk buffer's segment already.
    const { readdirSync, readFileSync } = await import('node:fs');
    const dir = `${run.dataDir}/buffers/out`;
    const segs = readdirSync(dir).filter((f) => f.startsWith('seg-'));
    expect(segs.some((f) => readFileSync(`${dir}/${f}`).includes(String(ev.id)))).toBe(true);
    const again = await post(run.url, ev);
    expect(again.status).toBe(200);
    expect(again.json).toEqual({ id: ev.id, duplicate: true });
    while (p.accepted.length < 1) await settle(5);
    await run.pipeline.stop();
    expect(p.accepted).toHaveLength(1);
    const e = p.accepted[0]!;
    expect(e.meta).toMatchObject({ id: `acme:webhook:${ev.id}`, account: 'acme', stream: 'webhook', time: Date.parse('2026-11-30T10:00:00Z') });
    expect(e.body).toEqual(ev);
  });

  it('while a memory-buffered sink is blocked: 503 with Retry-After; once it delivers, the redelivery is answered 200 and not emitted twice', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const p = probe('wh-blocked', async (_e, _c, signal) => {
      await Promise.race([gate, new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
      return signal.aborted ? { kind: 'retry', reason: 'stopping' } : { kind: 'ok' };
    });
    const run = await startWebhookRun({ ackTimeout: '300ms', retryAfter: '7s' }, [{ id: 'out', type: 'probe', probe: 'wh-blocked', inputs: ['hooks'], buffer: { type: 'memory' } }]);
    const ev = envelope('33333333-0000-4000-8000-000000000003');
    const r = await post(run.url, ev);
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('7');
    expect(r.json.error).toBe('not_durable');
    release();
    while (p.accepted.length < 1) await settle(5);
    const retry = await post(run.url, ev);
    expect(retry.status).toBe(200);
    expect(retry.json.duplicate).toBe(true);
    await run.pipeline.stop();
    expect(p.calls.flat().map((e) => e.meta.id)).toEqual([`acme:webhook:${ev.id}`]);
    expect((await rejected(run)).not_durable).toBe(1);
  });

  it('a flood of bad requests from one address is rate limited and does not starve another address', async () => {
    const p = probe('wh-flood');
    const run = await startWebhookRun({ rateLimit: { perSecond: 5, burst: 20 } }, [{ id: 'out', type: 'probe', probe: 'wh-flood', inputs: ['hooks'], buffer: { type: 'disk' } }]);
    const t0 = Date.now();
    const flood = Array.from({ length: 300 }, (_, i) => post(run.url, envelope(`bad-${i}`), { secret: 'wrong', localAddress: '127.0.0.2' }));
    const good = Array.from({ length: 10 }, (_, i) => post(run.url, envelope(`44444444-0000-4000-8000-${String(i).padStart(12, '0')}`), { localAddress: '127.0.0.1' }));
    const floodStatus = (await Promise.all(flood)).map((r) => r.status);
    const goodStatus = (await Promise.all(good)).map((r) => r.status);
    expect(goodStatus).toEqual(Array(10).fill(200));
    // The flood got through no more than its burst plus what 5/s refilled while it lasted.
    const allowed = 20 + Math.ceil(((Date.now() - t0) / 1000) * 5) + 1;
    const through = floodStatus.filter((s) => s === 401).length;
    expect(through).toBeLessThanOrEqual(allowed);
    expect(floodStatus.filter((s) => s === 429).length).toBe(300 - through);
    expect(allowed).toBeLessThan(150); // the bound means something: most of the flood was refused
    while (p.accepted.length < 10) await settle(5);
    await run.pipeline.stop();
    expect(p.accepted).toHaveLength(10);
  });
});
