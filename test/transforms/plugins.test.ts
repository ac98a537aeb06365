// The plugin registry: the types the config accepts, their option shapes (described, for the
// editor JSON Schema) and their defaults.

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { transformPlugins } from '../../transforms/index.js';

describe('transformPlugins', () => {
  it('registers ocsf, ecs, raw, filter, redact, add_fields and rename', () => {
    expect(transformPlugins.map((p) => p.type)).toEqual(['ocsf', 'ecs', 'raw', 'filter', 'redact', 'add_fields', 'rename']);
    for (const p of transformPlugins) expect(p.description.length).toBeGreaterThan(20);
  });

  it('describes every option (the descriptions end up in the editor JSON Schema)', () => {
    for (const p of transformPlugins) {
      for (const [name, schema] of Object.entries(p.options)) expect((schema as z.ZodType).description, `${p.type}.${name}`).toBeTruthy();
      const json = JSON.stringify(z.toJSONSchema(z.strictObject(p.options), { io: 'input', unrepresentable: 'any' }));
      expect(json).not.toMatch(/"description":""/);
    }
  });

  it('has the documented defaults for ocsf/ecs', () => {
    const ocsf = transformPlugins.find((p) => p.type === 'ocsf')!;
    expect(z.strictObject(ocsf.options).parse({})).toEqual({ enrich: true, newIpWindow: 30 * 86_400_000, newIpMaxUsers: 100_000, massDeletionCount: 10, massDeletionWindow: 600_000, ticketAudits: 'per_audit', dropAuditDuplicates: false, duplicateWindow: 3_600_000, duplicateTolerance: 5_000, duplicateMaxSightings: 100_000, rawData: false });
    expect(z.strictObject(ocsf.options).parse({ newIpWindow: '7d' }).newIpWindow).toBe(7 * 86_400_000);
  });
});
