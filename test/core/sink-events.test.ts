// Serialise once: fan-out turns each sink-bound event into a SinkEvent (meta + the body's JSON
// text). Memory buffers hold that text, not the body object; the body is parsed only when a
// driver reads it.

import { describe, expect, it } from 'vitest';
import { startPipeline } from '../../src/app/start.js';
import { sinkEvent, type PipelineEvent } from '../../src/core/types.js';
import { generateRecord } from '../../src/sources/generator.js';
import { captureLogs, probe, tempDir } from '../support/probe.js';

describe('SinkEvent', () => {
  it('parses the body from the JSON text on first read only, and keeps it', () => {
    const json = '{"id":1,"actor":{"name":"Zoë"}}';
    const e = sinkEvent({ id: 'a:audit_log:1', account: 'a', stream: 'audit_log', time: 0, schema: 'zendesk' }, json, Buffer.byteLength(json));
    expect(Object.hasOwn(e, 'body')).toBe(false);
    const body = e.body;
    expect(body).toEqual({ id: 1, actor: { name: 'Zoë' } });
    expect(e.body).toBe(body); // parsed once
    expect(Object.hasOwn(e, 'body')).toBe(true);
    expect(e.json).toBe(json);
  });
});

describe('fan-out serialises each event once', () => {
  it('hands sinks the JSON text; memory-buffered events hold no body object until a driver reads one', async () => {
    const dataDir = tempDir();
    const seen: { ownBody: boolean; json: string; id: string }[] = [];
    const record = (events: PipelineEvent[]) => {
      for (const e of events) seen.push({ ownBody: Object.hasOwn(e, 'body'), json: (e as unknown as { json: string }).json, id: e.meta.id });
      return { kind: 'ok' } as const;
    };
    probe('once-mem', record);
    probe('once-disk', record);
    const p = await startPipeline(
      {
        dataDir,
        log: { level: 'warn' },
        sources: [{ id: 'gen', type: 'generator', count: 60, batchSize: 20 }],
        sinks: [
          { id: 'mem', type: 'probe', probe: 'once-mem', inputs: ['gen'] },
          { id: 'disk', type: 'probe', probe: 'once-disk', inputs: ['gen'], buffer: { type: 'disk' } },
        ],
      },
      { once: true, logDestination: captureLogs().stream },
    );
    expect(await p.done).toEqual({ ok: true, failures: [] });
    expect(seen).toHaveLength(120);
    expect(seen.filter((s) => s.ownBody)).toEqual([]); // nothing parsed on the way (memory or disk)
    // The text is exactly the record's JSON, byte for byte.
    const expected = new Map(Array.from({ length: 60 }, (_, n) => [`synthetic:audit_log:${n}`, JSON.stringify(generateRecord(n, 'synthetic', 'audit_log', Date.parse('2026-01-01T00:00:00Z'), 1).raw)]));
    for (const s of seen) expect(s.json).toBe(expected.get(s.id));
  });
});
