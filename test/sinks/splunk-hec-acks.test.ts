// HEC indexer acknowledgements: a send counts as delivered only once its ackId is acked;
// one poller per channel serves all pending sends; late acks wait; lost acks are resent.

import { isAbsolute, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { z } from 'zod';
import { createMetrics } from '../../src/observability/metrics.js';
import { Secrets } from '../../src/observability/secrets.js';
import { sectionDefault, type BuildEnv } from '../../src/core/plugin.js';
import { recordToEvent, type PipelineEvent, type SendOutcome } from '../../src/core/types.js';
import { generateRecord } from '../../src/sources/generator.js';
import { splunkHecSink } from '../../src/sinks/splunk-hec/index.js';
import { hecOptions } from '../../src/sinks/splunk-hec/config.js';
import type { HecDriver } from '../../src/sinks/splunk-hec/driver.js';
import { captureLogs, tempDir } from '../support/probe.js';
import { startHecReceiver, type HecReceiver, type HecReceiverOptions } from '../receivers/hec.js';
import { commonSinkOptions } from '../support/sink-options.js';
import { sendsPipelineEvents } from '../support/sink-events.js';

const TOKEN = 'ack-test-token-0001';

function events(n: number, from = 0): PipelineEvent[] {
  return Array.from({ length: n }, (_, i) => recordToEvent(generateRecord(from + i, 'acme', 'audit_log', Date.parse('2026-02-01T00:00:00Z'), 3)));
}

// Relative paths in sink options (TLS files) resolve against this "config folder".
const configDir = tempDir('zsf-config-');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(acks: Record<string, unknown>, rcv: HecReceiverOptions = {}) {
  const receiver: HecReceiver = await startHecReceiver({ tokens: [TOKEN], ackEnabled: true, ...rcv });
  cleanups.push(() => receiver.close());
  const logs = captureLogs();
  const secrets = new Secrets();
  secrets.add(TOKEN);
  const env: BuildEnv = {
    id: 'splunk',
    dataDir: tempDir(),
    resolvePath: (p: string) => (isAbsolute(p) ? p : join(configDir, p)),
    logger: pino({ level: 'debug' }, logs.stream),
    metrics: createMetrics(),
    secrets,
    section: sectionDefault,
    shared: <T>(_k: string, make: () => T) => make(),
  };
  const parsed = z.strictObject(hecOptions).parse({ endpoint: receiver.url, token: TOKEN, acknowledgements: { enabled: true, queryInterval: 10, timeout: 5000, ...acks } });
  const driver = sendsPipelineEvents(splunkHecSink.create({ ...parsed, ...commonSinkOptions(splunkHecSink, { requestTimeout: 10_000 }), id: 'splunk', type: 'splunk_hec', inputs: ['x'] } as never, env) as HecDriver);
  cleanups.push(async () => driver.close?.());
  return { receiver, driver, logs };
}

function track(p: Promise<SendOutcome>) {
  const state: { settled: boolean; value?: SendOutcome } = { settled: false };
  void p.then((v) => {
    state.settled = true;
    state.value = v;
  });
  return state;
}

describe('splunk_hec indexer acknowledgements', () => {
  it('resolves a send only after its ackId is acknowledged', async () => {
    const { receiver, driver } = await setup({});
    receiver.acksHeld = true;
    const p = driver.send(events(4), AbortSignal.timeout(8000));
    const state = track(p);
    await receiver.waitFor(() => receiver.ackPolls.length >= 3, 5000, 'three ack polls');
    expect(state.settled).toBe(false);
    expect(receiver.received.every((r) => r.ackState === 'pending')).toBe(true);
    expect(receiver.indexed).toHaveLength(0);
    const req = receiver.dataRequests[0]!;
    expect(JSON.parse(req.reply)).toEqual({ text: 'Success', code: 0, ackId: 0 });
    expect(receiver.ackPolls.every((a) => a.channel === driver.channel && a.ids.join() === '0')).toBe(true);
    receiver.releaseAcks();
    expect(await p).toEqual({ kind: 'ok' });
    expect(receiver.indexed).toHaveLength(4);
    expect(driver.acks!.pendingCount).toBe(0);
  });

  it('polls once per interval for all sends pending on the channel', async () => {
    const { receiver, driver } = await setup({});
    receiver.acksHeld = true;
    const sends = [driver.send(events(2, 0), AbortSignal.timeout(8000)), driver.send(events(2, 2), AbortSignal.timeout(8000)), driver.send(events(2, 4), AbortSignal.timeout(8000))];
    await receiver.waitFor(() => receiver.ackPolls.some((a) => a.ids.length === 3), 5000, 'one poll carrying three ackIds');
    const polled = receiver.ackPolls.find((a) => a.ids.length === 3)!;
    expect([...polled.ids].sort()).toEqual([0, 1, 2]);
    expect(new Set(receiver.ackPolls.map((a) => a.channel))).toEqual(new Set([driver.channel]));
    receiver.releaseAcks();
    expect(await Promise.all(sends)).toEqual([{ kind: 'ok' }, { kind: 'ok' }, { kind: 'ok' }]);
    expect(receiver.indexed).toHaveLength(6);
  });

  it('waits for a late acknowledgement', async () => {
    const { receiver, driver } = await setup({}, { ackAfterPolls: 4 });
    expect(await driver.send(events(3), AbortSignal.timeout(8000))).toEqual({ kind: 'ok' });
    expect(receiver.ackPolls.length).toBeGreaterThanOrEqual(4);
    expect(receiver.indexed).toHaveLength(3);
  });

  it('a lost acknowledgement ends in retry after the ack timeout, and the resend is acknowledged', async () => {
    const { receiver, driver } = await setup({ timeout: 300 });
    receiver.loseAcks = 1;
    const evs = events(5);
    const first = await driver.send(evs, AbortSignal.timeout(8000));
    expect(first).toMatchObject({ kind: 'retry' });
    expect((first as { reason: string }).reason).toMatch(/no indexer acknowledgement for ackId 0 .* within 300 ms/);
    expect(receiver.received.filter((r) => r.ackState === 'lost')).toHaveLength(5);
    expect(receiver.indexed).toHaveLength(0);
    // the core resends the same batch: it gets a new ackId, which is acknowledged
    expect(await driver.send(evs, AbortSignal.timeout(8000))).toEqual({ kind: 'ok' });
    expect(receiver.indexed.map((r) => r.ackId)).toEqual([1, 1, 1, 1, 1]);
    expect(receiver.indexed.map((r) => r.event)).toEqual(evs.map((e) => e.body));
  });

  it('stops waiting when the request signal aborts, reporting retry', async () => {
    const { receiver, driver } = await setup({});
    receiver.acksHeld = true;
    const out = await driver.send(events(1), AbortSignal.timeout(200));
    expect(out).toMatchObject({ kind: 'retry' });
    expect((out as { reason: string }).reason).toMatch(/stopped waiting for the indexer acknowledgement/);
    expect(driver.acks!.pendingCount).toBe(0);
  });

  it('a token without indexer acknowledgement (no ackId) counts a 200 as delivered and says so', async () => {
    const { receiver, driver, logs } = await setup({}, { ackEnabled: false });
    expect(await driver.send(events(2), AbortSignal.timeout(5000))).toEqual({ kind: 'ok' });
    expect(receiver.requests.some((r) => r.path.endsWith('/ack'))).toBe(false);
    expect(logs.lines.some((l) => l.includes('answered without an ackId'))).toBe(true);
  });

  it('a 403 on /ack is an auth failure', async () => {
    const { receiver, driver } = await setup({});
    receiver.acksHeld = true;
    const p = driver.send(events(2), AbortSignal.timeout(8000));
    await receiver.waitFor(() => receiver.ackPolls.length >= 1, 5000, 'an ack poll');
    receiver.tokens.clear();
    const out = await p;
    expect(out).toMatchObject({ kind: 'auth' });
    expect((out as { reason: string }).reason).toMatch(/Invalid token/);
  });
});
