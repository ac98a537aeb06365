// The transform worker pool: the same events as the main thread, in the same order, with the
// enrichment state of each account in one place; pages cross as text and are re-sent when a
// worker no longer holds them; a transform error is the item's, a worker crash the batch's.

import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTransformPool, type ItemResult, type TransformPool, type WorkerRecipe } from '../../src/core/pipeline/transform-pool.js';
import { pageText, recordToEvent, type PipelineEvent, type SourceRecord } from '../../src/core/types.js';
import { schemaOptions, schemaWorkerRecipe, type MapperOptions } from '../../transforms/schema-transform.js';
import { createWorkerTransform } from '../../transforms/schema-worker.js';
import { zendeskCorpus } from '../support/zendesk-corpus.js';

const options = (): MapperOptions => ({ ...z.object(schemaOptions).parse({}), origins: new Map([['acme', 'https://acme.zendesk.com']]) });

/** The corpus as two accounts' pages of `size` records, each page's records carrying their slots. */
function pages(size: number): PipelineEvent[][] {
  const records = zendeskCorpus(7);
  const out: PipelineEvent[][] = [];
  for (const account of ['acme', 'globex']) {
    for (let i = 0; i < records.length; i += size) {
      const raws = records.slice(i, i + size).map((r) => ({ ...r, account }));
      const page = pageText('records', JSON.stringify({ records: raws.map((r) => r.raw) }));
      out.push(raws.map((r, index): PipelineEvent => recordToEvent({ ...r, page: { page, index } } satisfies SourceRecord)));
    }
  }
  // Interleave the accounts' pages, as two sources would.
  const half = out.length / 2;
  return out.slice(0, half).flatMap((p, i) => [p, out[half + i]!]);
}

/** What the main thread makes of the same batches, in the form the pool answers. */
function onMainThread(schema: 'ocsf' | 'ecs', batches: PipelineEvent[][]): ItemResult[][] {
  const fn = createWorkerTransform({ schema, options: options() });
  return batches.map((batch) =>
    batch.map((e): ItemResult => {
      try {
        const r = fn({ meta: e.meta, body: e.body }) as PipelineEvent | PipelineEvent[] | null;
        const outs = r == null ? [] : Array.isArray(r) ? r : [r];
        return { out: outs.map((x) => ({ meta: x.meta, json: JSON.stringify(x.body), bytes: Buffer.byteLength(JSON.stringify(x.body)) })) };
      } catch (err) {
        return { failed: (err as Error).message };
      }
    }),
  );
}

const pools: TransformPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

function pool(recipes: Record<string, WorkerRecipe>, extra: { size?: number; pageCacheChars?: number } = {}) {
  const failures: Error[] = [];
  const p = createTransformPool({ size: extra.size ?? 2, recipes: new Map(Object.entries(recipes)), ...(extra.pageCacheChars !== undefined ? { pageCacheChars: extra.pageCacheChars } : {}), onFailure: (e) => failures.push(e) });
  pools.push(p);
  return { p, failures };
}

const FAILING = new URL('../support/failing-worker-transform.ts', import.meta.url).href;

describe('transform worker pool', () => {
  it('maps every page as the main thread does, in order, per account state included (ocsf and ecs)', async () => {
    const batches = pages(97);
    const { p, failures } = pool({ ocsf: schemaWorkerRecipe('ocsf', options()), ecs: schemaWorkerRecipe('ecs', options()) });
    for (const schema of ['ocsf', 'ecs'] as const) {
      const want = onMainThread(schema, batches);
      // Both accounts' batches in flight at once, as concurrent sources send them.
      const got = await Promise.all(batches.map((b) => p.run(schema, b, true)));
      expect(got).toEqual(want);
      const texts = got.flat().flatMap((r) => ('out' in r ? r.out.map((o) => ('json' in o ? o.json : '')) : []));
      expect(texts.length).toBeGreaterThan(batches.flat().length * 0.9);
      // Stateful enrichment ran (new sign-in IPs, mass deletions are per account): it must match too.
      expect(texts.some((t) => t.includes('risk:'))).toBe(true);
    }
    expect(failures).toEqual([]);
  });

  it('sends a page again when the worker no longer holds it', async () => {
    const [a, b, c] = pages(40);
    const { p, failures } = pool({ ocsf: schemaWorkerRecipe('ocsf', options()) }, { size: 1, pageCacheChars: 1 });
    const want = onMainThread('ocsf', [a!, b!, a!, c!, a!]);
    const got = [];
    for (const batch of [a!, b!, a!, c!, a!]) got.push(await p.run('ocsf', batch, true));
    // a's repeats are mapped again by a stateful transform, as on the main thread: equal only if the page was there each time.
    expect(got).toEqual(want);
    expect(failures).toEqual([]);
  });

  it('maps the body it is given, not the page, when the records did not come straight from a source', async () => {
    const [batch] = pages(10);
    // With rawData the output carries the whole body it was mapped from.
    const opts = { ...options(), rawData: true };
    const changed = batch!.map((e) => ({ ...e, body: { ...e.body, changed_by: 'a transform upstream' } }));
    const { p } = pool({ ocsf: schemaWorkerRecipe('ocsf', opts) }, { size: 1 });
    const got = await p.run('ocsf', changed, false);
    const texts = got.flatMap((r) => ('out' in r ? r.out.map((o) => ('json' in o ? o.json : '')) : []));
    expect(texts).toHaveLength(10);
    expect(texts.every((t) => t.includes('a transform upstream'))).toBe(true);
    const fromPage = await p.run('ocsf', changed, true);
    expect(fromPage.flatMap((r) => ('out' in r ? r.out.map((o) => ('json' in o ? o.json : '')) : [])).some((t) => t.includes('a transform upstream'))).toBe(false);
  });

  it("returns a transform's error for its item and goes on; a crashed worker rejects its batch, and the next batch gets a new worker", async () => {
    let recovered = 0;
    const p = createTransformPool({ size: 1, recipes: new Map([['t', { module: FAILING, options: { prefix: 'x' } }]]), onFailure: (e) => failures.push(e), onRecovered: () => recovered++ });
    pools.push(p);
    const failures: Error[] = [];
    const ev = (n: number, extra: Record<string, unknown> = {}): PipelineEvent => ({ meta: { id: `acme:audit_log:${n}`, account: 'acme', stream: 'audit_log', time: 0, schema: 'zendesk' }, body: { n, ...extra } });
    const got = await p.run('t', [ev(1), ev(2, { fail: true }), ev(3, { drop: true }), ev(4)], false);
    expect(got).toEqual([
      { out: [{ meta: expect.objectContaining({ id: 'acme:audit_log:1', schema: 'raw' }), json: '{"mapped":"x1"}', bytes: 15 }] },
      { failed: 'cannot map 2' },
      { out: [] },
      { out: [{ meta: expect.objectContaining({ id: 'acme:audit_log:4' }), json: '{"mapped":"x4"}', bytes: 15 }] },
    ]);
    expect(recovered).toBe(0);
    await expect(p.run('t', [ev(5), ev(6, { crash: true })], false)).rejects.toThrow(/transform worker 0 (exited|crashed)/);
    expect(failures).toHaveLength(1);
    expect(await p.run('t', [ev(7)], false)).toEqual([{ out: [{ meta: expect.objectContaining({ id: 'acme:audit_log:7' }), json: '{"mapped":"x7"}', bytes: 15 }] }]);
    expect(recovered).toBe(1);
    expect(failures).toHaveLength(1);
  });

  it('fails a batch whose recipe cannot be loaded', async () => {
    const { p, failures } = pool({ t: { module: new URL('../support/no-such-module.ts', import.meta.url).href, options: {} } }, { size: 1 });
    const batch: PipelineEvent[] = [{ meta: { id: 'a:audit_log:1', account: 'a', stream: 'audit_log', time: 0, schema: 'zendesk' }, body: {} }];
    await expect(p.run('t', batch, false)).rejects.toThrow(/transform worker 0 failed: .*no-such-module/);
    await expect(p.run('t', batch, false)).rejects.toThrow(/transform worker 0 failed/);
    expect(failures).toHaveLength(2);
  });
});
