// `zsf top`: the metrics parser, the numbers it derives (rates, counter resets, buffer fill,
// latency), its plain and screen output, and the whole thing against a running pipeline.

import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { metricsUrl, runTop } from '../../src/cli/top.js';
import { PromParseError, parsePromText } from '../../src/cli/top/prom-text.js';
import { renderPlain, renderScreen } from '../../src/cli/top/render.js';
import { computeSnapshot, type Scrape } from '../../src/cli/top/snapshot.js';
import { startPipeline } from '../../src/app/start.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { spawnZsf } from '../support/child-process.js';
import { eventually } from '../support/eventually.js';
import { captureLogs, probe, tempDir } from '../support/probe.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));


/** key=value fields of the plain line that starts with `${kind}=${id}` (after the timestamp). */
function fields(out: string, kind: string, id: string): Record<string, string> {
  const line = out.split('\n').find((l) => l.split(' ')[1] === `${kind}=${id}`);
  if (!line) throw new Error(`no ${kind}=${id} line in:\n${out}`);
  return Object.fromEntries(line.split(' ').slice(1).map((kv) => kv.split('=') as [string, string]));
}

function collect(tty = false) {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number; rows?: number };
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString('utf8')));
  if (tty) Object.assign(stream, { isTTY: true, columns: 160, rows: 40 });
  return { stream, text: () => text };
}

describe('prometheus text parser', () => {
  it('reads types, escaped label values, special values and timestamps', () => {
    const m = parsePromText(
      [
        '# HELP zsf_x_total Help with "quotes" and \\ backslash',
        '# TYPE zsf_x_total counter',
        'zsf_x_total{sink="a\\"b",reason="line\\nbreak",path="C:\\\\tmp"} 12 1700000000000',
        'zsf_y{le="+Inf"} +Inf',
        'zsf_z NaN',
        'zsf_w{a="1",} -Inf',
        'zsf_v{ a = "x y" } 1.5e3',
        '',
      ].join('\n'),
    );
    expect(m.types.get('zsf_x_total')).toBe('counter');
    expect(m.samples[0]).toEqual({ name: 'zsf_x_total', labels: { sink: 'a"b', reason: 'line\nbreak', path: 'C:\\tmp' }, value: 12 });
    expect(m.samples[1]).toEqual({ name: 'zsf_y', labels: { le: '+Inf' }, value: Infinity });
    expect(m.samples[2]!.value).toBeNaN();
    expect(m.samples[3]).toEqual({ name: 'zsf_w', labels: { a: '1' }, value: -Infinity });
    expect(m.samples[4]).toEqual({ name: 'zsf_v', labels: { a: 'x y' }, value: 1500 });
  });

  it('names the line of a malformed sample', () => {
    expect(() => parsePromText('ok 1\nbad{sink="x} 1\n')).toThrow(PromParseError);
    expect(() => parsePromText('ok 1\nbad{sink="x} 1\n')).toThrow(/line 2: unterminated value of label sink/);
    expect(() => parsePromText('zsf_a{sink="x"} one')).toThrow(/line 1: invalid value "one"/);
  });

  it('builds the /metrics URL from an address', () => {
    expect(metricsUrl('127.0.0.1:9464')).toBe('http://127.0.0.1:9464/metrics');
    expect(metricsUrl('http://[::1]:9464/')).toBe('http://[::1]:9464/metrics');
    expect(metricsUrl('http://zsf.monitoring:9464/metrics')).toBe('http://zsf.monitoring:9464/metrics');
  });
});

describe('snapshot from two scrapes of real prom-client output', () => {
  async function scrapeOf(metrics: ReturnType<typeof createMetrics>, mono: number): Promise<Scrape> {
    return { ...parsePromText(await metrics.registry.metrics()), time: Date.UTC(2026, 0, 1, 12, 0, mono / 1000), mono };
  }

  it('computes per-source and per-sink rates, 429s, lag, latency, buffer fill and dead letters', async () => {
    const m = createMetrics();
    m.sourceRecords.inc({ source: 'audit', stream: 'audit_log' }, 100);
    m.sourceRequests.inc({ source: 'audit', code: '200' }, 10);
    m.sourceRequests.inc({ source: 'audit', code: '429' }, 1);
    m.sinkEventsSent.inc({ sink: 'splunk' }, 50);
    m.sinkBytesSent.inc({ sink: 'splunk' }, 10_000);
    m.sinkRequestSeconds.observe({ sink: 'splunk' }, 0.5);
    m.componentUp.set({ component: 'audit', kind: 'source' }, 1);
    m.componentUp.set({ component: 'splunk', kind: 'sink' }, 1);
    const first = await scrapeOf(m, 0);

    m.sourceRecords.inc({ source: 'audit', stream: 'audit_log' }, 200);
    m.sourceRequests.inc({ source: 'audit', code: '200' }, 3);
    m.sourceRequests.inc({ source: 'audit', code: '429' }, 2);
    m.sourceRequests.inc({ source: 'audit', code: 'error' }, 1);
    m.sourceLag.set({ source: 'audit' }, 95);
    m.rateLimitRemaining.set({ account: 'acme' }, 42);
    m.sinkEventsSent.inc({ sink: 'splunk' }, 150);
    m.sinkBytesSent.inc({ sink: 'splunk' }, 4096);
    m.sinkErrors.inc({ sink: 'splunk', reason: 'http_503' }, 3);
    m.sinkRetries.inc({ sink: 'splunk' }, 3);
    m.sinkRequestSeconds.observe({ sink: 'splunk' }, 0.1);
    m.sinkRequestSeconds.observe({ sink: 'splunk' }, 0.3);
    m.bufferEvents.set({ sink: 'splunk' }, 1200);
    m.bufferBytes.set({ sink: 'splunk' }, 256 * 1024);
    m.bufferMaxBytes.set({ sink: 'splunk' }, 1024 * 1024);
    m.deadLetters.inc({ component: 'splunk', reason: 'rejected' }, 4);
    m.eventsDropped.inc({ sink: 'splunk' }, 0);
    m.componentUp.set({ component: 'splunk', kind: 'sink' }, 0);
    const second = await scrapeOf(m, 2000);

    const s = computeSnapshot(first, second);
    expect(s.intervalSeconds).toBe(2);
    expect(s.sources).toEqual([
      {
        source: 'audit',
        streams: ['audit_log'],
        records: 300,
        recordsPerSec: 100,
        lagSeconds: 95,
        requests: 17,
        requestsPerSec: 3, // 6 new requests in 2 s
        rateLimited: 3,
        rateLimitedDelta: 2,
        failedRequests: 1,
        commits: 0,
        up: true,
      },
    ]);
    expect(s.sinks).toHaveLength(1);
    expect(s.sinks[0]).toMatchObject({
      sink: 'splunk',
      events: 200,
      eventsPerSec: 75,
      bytesPerSec: 2048,
      errors: 3,
      errorsPerSec: 1.5,
      errorsByReason: { http_503: 3 },
      retries: 3,
      bufferEvents: 1200,
      bufferFillPct: 25,
      dropped: 0,
      up: false,
    });
    expect(s.sinks[0]!.latencyAvgSeconds).toBeCloseTo(0.2, 10); // the two requests of the interval, not the first one
    expect(s.deadLetters).toEqual([{ component: 'splunk', reason: 'rejected', count: 4, delta: 4 }]);
    expect(s.deadLettersTotal).toBe(4);
    expect(s.accounts).toEqual([{ account: 'acme', rateLimitRemaining: 42 }]);

    const plain = renderPlain(s).join('\n');
    expect(fields(plain, 'source', 'audit')).toMatchObject({ records: '300', records_per_s: '100.0', lag_s: '95', requests_429: '3', requests_failed: '1', up: '1' });
    expect(fields(plain, 'sink', 'splunk')).toMatchObject({ events_per_s: '75.0', bytes_per_s: '2048', errors: '3', latency_avg_ms: '200.0', buffer_fill_pct: '25.0', up: '0' });
    expect(plain).toContain('dead_letters component=splunk reason=rejected count=4');
    expect(plain).toContain('account=acme rate_limit_remaining=42');

    const screen = renderScreen(s, { url: 'http://x/metrics', intervalMs: 2000 }).join('\n');
    expect(screen).toMatch(/audit\s+300\s+100\.0\s+1m35s\s+17\s+3\.00\s+3 \(\+2\)\s+1\s+up/);
    expect(screen).toMatch(/splunk\s+200\s+75\.0\s+2\.0KiB\/s\s+3\s+3\s+200ms\s+1,200 ev 256KiB\s+25\.0%\s+\[###\.+\]\s+0\s+DOWN/);
    expect(screen).toContain('splunk/http_503: 3');
  });

  it('treats a counter that went down (a restart) as counting from zero, and has no rates from one scrape', async () => {
    const before = createMetrics();
    before.sinkEventsSent.inc({ sink: 's' }, 1000);
    const after = createMetrics();
    after.sinkEventsSent.inc({ sink: 's' }, 30);
    const s = computeSnapshot(await scrapeOf(before, 0), await scrapeOf(after, 3000));
    expect(s.sinks[0]).toMatchObject({ events: 30, eventsPerSec: 10 });
    const single = computeSnapshot(undefined, await scrapeOf(after, 3000));
    expect(single.intervalSeconds).toBeNull();
    expect(single.sinks[0]).toMatchObject({ events: 30, eventsPerSec: null, bufferFillPct: null });
    expect(fields(renderPlain(single).join('\n'), 'sink', 's')).toMatchObject({ events_per_s: '-', buffer_fill_pct: '-' });
  });
});

describe('zsf top against a running pipeline', () => {
  it('shows the records of a generator, a stalled sink filling its buffer, dead letters, then the drain', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const stalled = probe('top-stalled', async () => {
      await gate;
      return { kind: 'ok' };
    });
    const p = await startPipeline(
      {
        dataDir: tempDir(),
        log: { level: 'warn' },
        shutdownTimeout: '5s',
        sources: [{ id: 'gen', type: 'generator', count: 5000, batchSize: 100 }],
        transforms: [{ id: 'map', type: 'probe_transform', inputs: ['gen'], failEvery: 100 }],
        sinks: [
          { id: 'stalled', type: 'probe', probe: 'top-stalled', inputs: ['map'], buffer: { type: 'memory', maxBytes: '128KiB' }, batch: { maxEvents: 50 } },
          { id: 'fast', type: 'null', inputs: ['gen'] },
        ],
      },
      { api: { listen: '127.0.0.1:0' }, logDestination: captureLogs().stream },
    );
    try {
      expect(p.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const maxBytes = 128 * 1024;
      // Stalled: its first batch is in flight forever and the rest fills the buffer, which blocks the source.
      await eventually(async () => stalled.calls.length === 1 && ((await p.metrics.bufferBytes.get()).values.find((v) => v.labels.sink === 'stalled')?.value ?? 0) > maxBytes / 2, 'the stalled buffer to fill');

      const out = collect();
      expect(await runTop({ url: p.apiUrl!, intervalMs: 150, once: true, out: out.stream, err: out.stream })).toBe(0);
      const gen = fields(out.text(), 'source', 'gen');
      const records = Number(gen.records);
      expect(records).toBeGreaterThan(0);
      expect(records).toBeLessThan(5000); // blocked by the full buffer
      expect(records % 100).toBe(0); // whole batches
      expect(gen.up).toBe('1');
      const sink = fields(out.text(), 'sink', 'stalled');
      expect(sink.events).toBe('0');
      expect(Number(sink.buffer_fill_pct)).toBeGreaterThan(50);
      expect(Number(sink.buffer_max_bytes)).toBe(maxBytes);
      expect(Number(sink.buffer_events)).toBeGreaterThan(0);
      // ids 0..records-1: one in a hundred failed the transform and was dead-lettered
      expect(out.text()).toContain(`dead_letters component=map reason=transform_failed count=${records / 100}`);
      expect(out.text()).toContain(`dead_letters total=${records / 100}`);

      release();
      await eventually(async () => (await p.metrics.sinkEventsSent.get()).values.find((v) => v.labels.sink === 'stalled')?.value === 4950, 'the stalled sink to drain');
      await eventually(async () => (await p.metrics.sinkEventsSent.get()).values.find((v) => v.labels.sink === 'fast')?.value === 5000, 'the fast sink to deliver everything');
      const after = collect();
      expect(await runTop({ url: `${p.apiUrl!}/metrics`, intervalMs: 100, once: true, out: after.stream })).toBe(0);
      expect(fields(after.text(), 'source', 'gen')).toMatchObject({ records: '5000', records_per_s: '0.0' });
      expect(fields(after.text(), 'sink', 'stalled')).toMatchObject({ events: '4950', buffer_events: '0', buffer_fill_pct: '0.0', errors: '0' });
      expect(fields(after.text(), 'sink', 'fast')).toMatchObject({ events: '5000' });
      expect(after.text()).toContain('dead_letters component=map reason=transform_failed count=50');
    } finally {
      release();
      await p.stop();
    }
  });

  it('prints plain lines every interval until stopped', async () => {
    const p = await startPipeline(
      { dataDir: tempDir(), log: { level: 'warn' }, sources: [{ id: 'gen', type: 'generator', count: 300, batchSize: 100 }], sinks: [{ id: 'out', type: 'null', inputs: ['gen'] }] },
      { api: { listen: '127.0.0.1:0' }, logDestination: captureLogs().stream },
    );
    try {
      await eventually(async () => (await p.metrics.sinkEventsSent.get()).values[0]?.value === 300, 'delivery');
      const out = collect();
      const stop = new AbortController();
      const running = runTop({ url: p.apiUrl!, intervalMs: 100, out: out.stream, err: out.stream, signal: stop.signal });
      await eventually(() => (out.text().match(/ sink=out events=300 /g) ?? []).length >= 3, 'three snapshots');
      stop.abort();
      expect(await running).toBe(0);
      const stamps = new Set(out.text().split('\n').filter((l) => l.includes(' sink=out ')).map((l) => l.split(' ')[0]));
      expect(stamps.size).toBeGreaterThanOrEqual(3); // one per interval, each with its own scrape time
    } finally {
      await p.stop();
    }
  });
});

describe('zsf top through a failing scrape', () => {
  it('reports the failed scrape on stderr and goes on with the next ones', async () => {
    const m = createMetrics();
    m.sinkEventsSent.inc({ sink: 's' }, 10);
    let n = 0;
    const server = createHttpServer((_req, res) => {
      n++;
      if (n === 2) res.writeHead(503).end('busy');
      else {
        m.sinkEventsSent.inc({ sink: 's' }, 10);
        void m.registry.metrics().then((t) => res.writeHead(200, { 'content-type': m.registry.contentType }).end(t));
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const out = collect();
      const err = collect();
      const stop = new AbortController();
      const running = runTop({ url, intervalMs: 100, out: out.stream, err: err.stream, signal: stop.signal });
      await eventually(() => (out.text().match(/ sink=s /g) ?? []).length >= 2, 'two snapshots after the failure');
      stop.abort();
      expect(await running).toBe(0);
      expect(err.text()).toMatch(/error="cannot read http:\/\/127\.0\.0\.1:\d+\/metrics: GET .* HTTP 503"/);
      // scrapes 1 (ok), 2 (503), 3, 4: the rates restart after the failure, so the first line comes from 3 -> 4
      const lines = out.text().split('\n').filter((l) => l.includes(' sink=s '));
      expect(fields(lines[0]!, 'sink', 's').events).toBe('40');
    } finally {
      server.close();
    }
  });
});

describe('zsf top on a terminal (in-process, fake TTY)', () => {
  it('draws in place on the alternate screen, quits on q and restores the terminal', async () => {
    const p = await startPipeline(
      { dataDir: tempDir(), log: { level: 'warn' }, sources: [{ id: 'gen', type: 'generator', count: 200, batchSize: 100 }], sinks: [{ id: 'out', type: 'null', inputs: ['gen'] }] },
      { api: { listen: '127.0.0.1:0' }, logDestination: captureLogs().stream },
    );
    try {
      await eventually(async () => (await p.metrics.sinkEventsSent.get()).values[0]?.value === 200, 'delivery');
      const out = collect(true);
      const rawModes: boolean[] = [];
      const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: (on: boolean) => rawModes.push(on) }) as unknown as NodeJS.ReadStream;
      const running = runTop({ url: p.apiUrl!, intervalMs: 100, out: out.stream, input });
      await eventually(() => /out\s+200\s+0\.0\s/.test(out.text()), 'a frame with rates');
      expect(rawModes).toEqual([true]);
      (input as unknown as PassThrough).write('q');
      expect(await running).toBe(0);
      expect(rawModes).toEqual([true, false]);
      const text = out.text();
      expect(text.startsWith('\x1b[?1049h\x1b[?25l')).toBe(true); // alternate screen, cursor hidden
      expect(text.endsWith('\x1b[?25h\x1b[?1049l')).toBe(true); // cursor shown, main screen back
      expect(text).toContain('\x1b[H'); // redrawn from the top-left corner, not scrolled
      expect(text).toMatch(/SOURCE\s+RECORDS\s+REC\/S\s+LAG/);
      expect(text).toMatch(/gen\s+200\s/);
    } finally {
      await p.stop();
    }
  });
});

describe('zsf top command (child process)', () => {
  const zsf = (args: string[]) => spawnZsf(args, { cwd: ROOT }).closed;

  it('is registered: --once prints a snapshot of the instance; an unreachable one exits 1; a bad interval exits 2', async () => {
    const p = await startPipeline(
      { dataDir: tempDir(), log: { level: 'warn' }, sources: [{ id: 'gen', type: 'generator', count: 700, batchSize: 100 }], sinks: [{ id: 'out', type: 'null', inputs: ['gen'] }] },
      { api: { listen: '127.0.0.1:0' }, logDestination: captureLogs().stream },
    );
    // A port nothing listens on: bind one, then close it.
    const closedPort = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const port = (srv.address() as { port: number }).port;
        srv.close(() => resolve(port));
      });
    });
    try {
      await eventually(async () => (await p.metrics.sinkEventsSent.get()).values[0]?.value === 700, 'delivery');
      const [ok, down, bad] = await Promise.all([
        zsf(['top', '--once', '--url', p.apiUrl!, '--interval', '100ms']),
        zsf(['top', '--once', '--url', `127.0.0.1:${closedPort}`, '--interval', '100ms']),
        zsf(['top', '--interval', '10ms']),
      ]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(fields(ok.stdout, 'source', 'gen')).toMatchObject({ records: '700', up: '1' });
      expect(fields(ok.stdout, 'sink', 'out')).toMatchObject({ events: '700' });
      expect(down.code).toBe(1);
      expect(down.stderr).toContain(`zsf top: cannot read http://127.0.0.1:${closedPort}/metrics`);
      expect(down.stderr).toContain('ECONNREFUSED');
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('must be at least 100ms');
    } finally {
      await p.stop();
    }
  });
});
