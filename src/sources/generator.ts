// A deterministic synthetic source: audit-log-shaped records of about 1 KB with ids 0..count-1.
// For benchmarks, crash tests and trying sinks without a Zendesk account. Its checkpoint is
// the next id to emit, so a restart resumes exactly where the last commit left off.

import { z } from 'zod';
import { defineSource } from '../core/plugin.js';
import type { SourceRecord } from '../core/types.js';

const ACTIONS = ['create', 'update', 'destroy', 'login', 'exported'] as const;
const SOURCE_TYPES = ['user', 'rule', 'apitoken', 'account_setting', 'ticket', 'organization'] as const;
const NAMES = ['Sameer Patel', 'Zoë Ångström', '李小龙', 'Ørjan Nilsen', 'Amara Okafor', 'José García'];

export function generateRecord(n: number, account: string, stream: string, startMs: number, seed: number): SourceRecord {
  // Cheap deterministic mixing; the same (n, seed) always gives the same record.
  const h = Math.imul(n ^ seed, 2654435761) >>> 0;
  const time = startMs + n * 1000 - (n % 3) * 1000; // bursts: consecutive records share seconds
  const created = new Date(Math.floor(time / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  const action = ACTIONS[h % ACTIONS.length]!;
  const sourceType = SOURCE_TYPES[(h >>> 8) % SOURCE_TYPES.length]!;
  const actor = NAMES[(h >>> 16) % NAMES.length]!;
  const raw = {
    action,
    action_label: action[0]!.toUpperCase() + action.slice(1),
    actor_id: 1000 + (h % 97),
    actor_name: actor,
    change_description:
      action === 'update' ? `Role changed from Agent to Administrator; ${'detail '.repeat(40 + (h % 40))}` : `Synthetic ${action} of ${sourceType} #${n}; ${'x'.repeat(400 + (h % 300))}`,
    created_at: created,
    id: n,
    ip_address: h % 5 === 0 ? `2001:db8::${(h % 65535).toString(16)}` : `198.51.100.${h % 255}`,
    source_id: 5000 + (h % 1000),
    source_label: `${sourceType} ${h % 1000}`,
    source_type: sourceType,
    url: `https://${account}.zendesk.com/api/v2/audit_logs/${n}`,
  };
  return { account, stream, id: String(n), time: Math.floor(time / 1000) * 1000, raw };
}

export const generatorSource = defineSource({
  type: 'generator',
  description: 'Deterministic synthetic audit-log-like records (benchmarks, tests, trying a sink)',
  options: {
    account: z.string().default('synthetic'),
    stream: z.string().default('audit_log'),
    count: z.number().int().min(0).default(1000).describe('Records to emit in total'),
    batchSize: z.number().int().min(1).max(100_000).default(100),
    seed: z.number().int().default(1),
    startTime: z.iso.datetime().default('2026-01-01T00:00:00Z'),
    ratePerSecond: z.number().positive().optional().describe('Pace the records (soak and crash tests); default: as fast as the pipeline takes them'),
  },
  create(config) {
    const startMs = Date.parse(config.startTime);
    return {
      async run(ctx) {
        let next = typeof (ctx.checkpoint as { next?: unknown })?.next === 'number' ? (ctx.checkpoint as { next: number }).next : 0;
        const pacedFrom = { time: ctx.now(), n: next };
        while (next < config.count && !ctx.signal.aborted) {
          if (config.ratePerSecond) {
            const due = pacedFrom.time + ((next - pacedFrom.n) / config.ratePerSecond) * 1000;
            if (due > ctx.now()) await ctx.sleep(due - ctx.now(), ctx.signal).catch(() => undefined);
            if (ctx.signal.aborted) break;
          }
          const end = Math.min(config.count, next + config.batchSize);
          const records: SourceRecord[] = [];
          for (let n = next; n < end; n++) records.push(generateRecord(n, config.account, config.stream, startMs, config.seed));
          next = end;
          ctx.metrics.sourceRecords.inc({ source: ctx.id, stream: config.stream }, records.length);
          await ctx.emit({ records, checkpoint: { next }, checkpointTime: records[records.length - 1]!.time });
          // Real sources wait on the network; this one must yield or it starves timers and the API server.
          await new Promise((r) => setImmediate(r));
        }
        if (!ctx.once) await new Promise<void>((resolve) => (ctx.signal.aborted ? resolve() : ctx.signal.addEventListener('abort', () => resolve(), { once: true })));
      },
    };
  },
});
