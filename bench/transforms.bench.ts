// Mapper throughput: records/s of each schema mapper (OCSF, ECS, raw) per stream on the
// seeded test corpus, as a ratio to JSON.parse + JSON.stringify of the same records (the
// floor any transform pays to read and re-serialise an event). Enrichment on, as by default.

import { z } from 'zod';
import { sectionDefault, type BuildEnv } from '../src/core/plugin.js';
import { recordToEvent, type PipelineEvent, type Transform } from '../src/core/types.js';
import { zendeskCorpus } from '../test/support/zendesk-corpus.js';
import { transformPlugins } from '../transforms/index.js';
import { rate, rawJsonRate, type BenchRow } from './lib.js';

const MIN_MS = Number(process.env.ZSF_BENCH_TRANSFORM_MS ?? 1500);

function transform(type: string, options: Record<string, unknown> = {}): Transform {
  const plugin = transformPlugins.find((p) => p.type === type)!;
  const config = z.strictObject(plugin.options).parse(options);
  return plugin.create({ ...config, id: type, type, inputs: ['bench'] } as never, { section: sectionDefault } as unknown as BuildEnv);
}

export default async function (): Promise<BenchRow[]> {
  const corpus = zendeskCorpus(42);
  const rows: BenchRow[] = [];
  for (const stream of ['audit_log', 'ticket_audit', 'access_log']) {
    const records = corpus.filter((r) => r.stream === stream);
    const serialised = records.map((r) => JSON.stringify(r.raw));
    const avgBytes = serialised.reduce((a, s) => a + Buffer.byteLength(s), 0) / serialised.length;
    const events: PipelineEvent[] = records.map(recordToEvent);
    const json = rawJsonRate(serialised, MIN_MS);
    rows.push({ name: `${stream}: JSON.parse+stringify (${records.length} records, ${avgBytes.toFixed(0)} B avg)`, eventsPerSec: json, mbPerSec: (json * avgBytes) / 1e6 });
    for (const [type, options, label] of [
      ['ocsf', {}, 'ocsf'],
      ['ecs', {}, 'ecs'],
      ['ocsf', { enrich: false }, 'ocsf, enrich off'],
      ['raw', {}, 'raw'],
    ] as const) {
      // A fresh transform per row, so the sign-in IP memory starts empty each time.
      const t = transform(type, options);
      const mapper = rate(events, (e) => t(e), MIN_MS);
      rows.push({ name: `${stream}: ${label} mapper`, eventsPerSec: mapper, mbPerSec: (mapper * avgBytes) / 1e6, ratio: mapper / json, ratioTo: 'JSON parse+stringify', note: 'event in, mapped object out (sinks serialise)' });
    }
  }
  return rows;
}
