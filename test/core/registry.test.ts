// The core runs whatever Registry it is handed: the config schema is built from that
// registry (its component types and the sections its plugins contribute), and a plugin reads
// its section, parsed and typed, through env.section. Nothing here is in the default registry.

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/errors.js';
import { runPipeline } from '../../src/core/pipeline.js';
import { defineSink, defineSource, type ConfigSection, type Registry } from '../../src/core/plugin.js';
import type { PipelineEvent } from '../../src/core/types.js';
import { captureLogs, tempDir } from '../support/probe.js';

const greetingSchema = z.strictObject({ text: z.string().min(1).default('hello') }).default({ text: 'hello' });
const greetingSection: ConfigSection<z.infer<typeof greetingSchema>> = {
  key: 'greeting',
  schema: greetingSchema,
  check: (g, config) => (g.text === 'forbidden' ? [`greeting.text: "forbidden" is not allowed (${config.sources.length} sources)`] : []),
};

const greeterSource = defineSource({
  type: 'greeter',
  description: 'Emits one record carrying the greeting section’s text',
  sections: [greetingSection],
  options: { times: z.number().int().min(1).default(1) },
  create(config, env) {
    const { text } = env.section(greetingSection); // typed: { text: string }
    return {
      async run(ctx) {
        const records = Array.from({ length: config.times }, (_, i) => ({ account: 'a', stream: 'greeting', id: String(i), time: 0, raw: { text: text.toUpperCase() } }));
        await ctx.emit({ records, checkpoint: { done: true } });
      },
    };
  },
});

function registryWith(received: PipelineEvent[]): Registry {
  const keepSink = defineSink({
    type: 'keep',
    description: 'Keeps what it is sent, for assertions',
    options: {},
    defaults: { maxEvents: 100, maxBytes: 1 << 20, maxWaitMs: 0, concurrency: 1 },
    create: () => ({
      send: async (events) => {
        received.push(...events);
        return { kind: 'ok' };
      },
    }),
  });
  return { sources: [greeterSource], transforms: [], sinks: [keepSink] };
}

const components = { sources: [{ id: 'hi', type: 'greeter', times: 2 }], sinks: [{ id: 'out', type: 'keep', inputs: ['hi'] }] };

function problemsOf(raw: unknown, registry: Registry): string[] {
  try {
    loadConfig(raw, registry, { env: {}, baseDir: tempDir() });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('a registry handed to the config and the core', () => {
  it('builds the schema from the registry: its types and its plugins’ sections, and nothing of the default registry', () => {
    const registry = registryWith([]);
    expect(problemsOf({ ...components, greeting: { text: 'hi' } }, registry)).toEqual([]);
    // A built-in type and the Zendesk section are not part of this registry.
    expect(problemsOf({ ...components, zendesk: { accounts: [] } }, registry)).toEqual([expect.stringMatching(/^zendesk: unknown key/)]);
    expect(problemsOf({ sources: [{ id: 'g', type: 'generator' }], sinks: [{ id: 'out', type: 'keep', inputs: ['g'] }] }, registry)).toEqual([
      'sources[0].type: unknown source type "generator"; expected one of greeter',
    ]);
    // The section's own schema and its cross-check both report.
    expect(problemsOf({ ...components, greeting: { txt: 'hi' } }, registry)).toEqual([expect.stringMatching(/^greeting\.txt: unknown key \(did you mean "text"\?\)/)]);
    expect(problemsOf({ ...components, greeting: { text: 'forbidden' } }, registry)).toEqual(['greeting.text: "forbidden" is not allowed (1 sources)']);
  });

  it('runs the registry’s plugins, and a plugin reads its parsed section (or the section’s default)', async () => {
    for (const [greeting, expected] of [[{ text: 'good morning' }, 'GOOD MORNING'], [undefined, 'HELLO']] as const) {
      const received: PipelineEvent[] = [];
      const registry = registryWith(received);
      const loaded = loadConfig({ ...components, ...(greeting ? { greeting } : {}), dataDir: tempDir() }, registry, { env: {} });
      const pipeline = await runPipeline(loaded, registry, { once: true, api: false, logDestination: captureLogs().stream });
      const result = await pipeline.done;
      expect(result).toEqual({ ok: true, failures: [] });
      expect(received.map((e) => e.body)).toEqual([{ text: expected }, { text: expected }]);
      expect(received.map((e) => e.meta.id)).toEqual(['a:greeting:0', 'a:greeting:1']);
    }
  });
});
