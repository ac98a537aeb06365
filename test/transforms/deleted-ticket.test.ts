// Deleted tickets: OCSF 3004 / 4 Delete and ECS api/deletion, schema-valid against the
// reference schemas, deterministic ids, bad input, and the mass-deletion label.

import { describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../src/core/types.js';
import { deletionKey } from '../../src/sources/zendesk/deleted-tickets.js';
import { validateEcs, validateOcsf } from '../support/schema-validator.js';
import { makeTransform, one, run } from './helpers.js';

type Json = Record<string, unknown>;

let n = 0;
function deletion(raw: Json = {}, account = 'acme'): SourceRecord {
  const full = { actor: { id: 3946, name: 'Taz Wombat' }, deleted_at: '2026-07-04T15:37:04Z', description: 'Please help, my card number is 4111 1111 1111 1111', id: 581 + ++n, previous_state: 'open', subject: 'Wombat Party', ...raw };
  const time = Date.parse(String(full.deleted_at));
  return { account, stream: 'deleted_ticket', id: Number.isFinite(time) ? deletionKey(String(full.id), time) : String(full.id), time: Number.isFinite(time) ? time : 0, raw: full };
}

describe('deleted ticket mapping', () => {
  it('maps to OCSF Entity Management / Delete with the ticket as entity, schema-valid', async () => {
    const rec = deletion({ id: 581 });
    const e = await one(makeTransform('ocsf'), rec);
    expect(validateOcsf(e.body)).toEqual([]);
    expect(e.meta.id).toBe('acme:deleted_ticket:581:2026-07-04T15:37:04Z');
    expect(e.body).toMatchObject({
      class_uid: 3004,
      activity_id: 4,
      activity_name: 'Delete',
      type_uid: 300404,
      time: Date.parse('2026-07-04T15:37:04Z'),
      actor: { user: { uid: '3946', name: 'Taz Wombat' } },
      entity: { uid: '581', name: 'Wombat Party', type: 'Ticket', type_id: 99, data: { previous_state: 'open' } },
      metadata: { uid: 'acme:deleted_ticket:581:2026-07-04T15:37:04Z', event_code: 'ticket.destroy', log_name: 'deleted_ticket', original_time: '2026-07-04T15:37:04Z' },
      message: 'Ticket 581 "Wombat Party" deleted by Taz Wombat (was open)',
    });
    expect(e.meta.sourcetype).toBe('zendesk:deleted_ticket:ocsf');
    // The description is customer text: not in the mapped event unless rawData is on.
    expect(JSON.stringify(e.body)).not.toContain('4111');
    const raw = await one(makeTransform('ocsf', { rawData: true }), rec);
    expect(validateOcsf(raw.body)).toEqual([]);
    expect(String(raw.body.raw_data)).toContain('4111');
  });

  it('maps to ECS api/deletion with the actor as user, schema-valid', async () => {
    const e = await one(makeTransform('ecs'), deletion({ id: 582, extra_future_field: 'x' }));
    expect(validateEcs(e.body)).toEqual([]);
    expect(e.body).toMatchObject({
      '@timestamp': '2026-07-04T15:37:04.000Z',
      event: { kind: 'event', category: ['api'], type: ['deletion'], action: 'ticket.destroy', outcome: 'success', dataset: 'zendesk.deleted_ticket', id: 'acme:deleted_ticket:582:2026-07-04T15:37:04Z' },
      user: { id: '3946', name: 'Taz Wombat' },
      zendesk: { deleted_ticket: { ticket_id: '582', subject: 'Wombat Party', previous_state: 'open', deleted_at: '2026-07-04T15:37:04Z', extra_future_field: 'x' } },
    });
    expect(JSON.stringify(e.body)).not.toContain('4111');
  });

  it('maps a system deletion and one without subject or actor, both schema-valid', async () => {
    const sys = await one(makeTransform('ocsf'), deletion({ actor: { id: -1, name: 'Zendesk' } }));
    expect(validateOcsf(sys.body)).toEqual([]);
    expect((sys.body.actor as Json).user).toMatchObject({ uid: '-1', type_id: 3, type: 'System' });
    const bare = deletion({ subject: null, actor: null, previous_state: null });
    const o = await one(makeTransform('ocsf'), bare);
    expect(validateOcsf(o.body)).toEqual([]);
    expect(o.body.actor).toEqual({ app_name: 'Zendesk' });
    expect(validateEcs((await one(makeTransform('ecs'), bare)).body)).toEqual([]);
  });

  it.each([
    [{ id: null }, '"id"'],
    [{ deleted_at: 'yesterday' }, '"deleted_at"'],
    [{ deleted_at: null }, '"deleted_at"'],
  ])('rejects %j with a clear message (the pipeline dead-letters it)', async (raw, what) => {
    await expect(run(makeTransform('ocsf'), deletion(raw))).rejects.toThrow(what);
  });
});

describe('mass deletion rule', () => {
  const burst = (count: number, actor: Json, startMs: number, stepMs: number) =>
    Array.from({ length: count }, (_, i) => deletion({ actor, deleted_at: new Date(startMs + i * stepMs).toISOString().replace('.000Z', 'Z') }));
  const labelled = (e: { body: Json }) => ((e.body.metadata as Json).labels as string[] | undefined)?.includes('risk:mass_ticket_deletion') ?? false;

  it('labels the deletions from the Nth within the window on, per actor, and not a slow trickle', async () => {
    const t = makeTransform('ocsf', { massDeletionCount: 5, massDeletionWindow: '10m' });
    const start = Date.parse('2026-07-04T10:00:00Z');
    const fast = [];
    for (const r of burst(7, { id: 1, name: 'Mass Deleter' }, start, 30_000)) fast.push(await one(t, r));
    expect(fast.map(labelled)).toEqual([false, false, false, false, true, true, true]);
    const hit = fast[4]!.body;
    expect(validateOcsf(hit)).toEqual([]);
    expect(hit.severity_id).toBe(4);
    // Another actor deleting at the same time is counted separately; a slow one never hits.
    const other = await one(t, deletion({ actor: { id: 2, name: 'Someone Else' }, deleted_at: '2026-07-04T10:01:00Z' }));
    expect(labelled(other)).toBe(false);
    const slow = [];
    for (const r of burst(8, { id: 3, name: 'Slow' }, start, 5 * 60_000)) slow.push(await one(t, r));
    expect(slow.some(labelled)).toBe(false);
  });

  it('counts a re-delivered deletion once, and is configurable on the transform (ECS too)', async () => {
    const t = makeTransform('ecs', { massDeletionCount: 3, massDeletionWindow: '1m' });
    const [a, b, c] = burst(3, { id: 9, name: 'Dup' }, Date.parse('2026-07-04T10:00:00Z'), 1000);
    const tags = async (r: SourceRecord) => ((await one(t, r)).body.tags as string[] | undefined) ?? [];
    expect(await tags(a!)).toEqual([]);
    expect(await tags(b!)).toEqual([]);
    expect(await tags(b!)).toEqual([]); // the same deletion again: still two
    const third = await one(t, c!);
    expect(third.body.tags).toEqual(['risk:mass_ticket_deletion']);
    expect(validateEcs(third.body)).toEqual([]);
    // With enrichment off nothing is labelled.
    const off = makeTransform('ecs', { enrich: false, massDeletionCount: 2 });
    for (const r of burst(4, { id: 10, name: 'X' }, Date.parse('2026-07-04T10:00:00Z'), 1000)) expect((await one(off, r)).body.tags).toBeUndefined();
  });
});
