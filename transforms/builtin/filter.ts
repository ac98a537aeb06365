// The `filter` transform: drop (or keep only) events matching conditions on field paths.
//
//   - { id: drop_reads, type: filter, inputs: [ocsf], mode: drop, match: all,
//       conditions: [ { field: class_uid, equals: 6003 }, { field: activity_id, in: [2] } ] }
//
// A path may reach several values (arrays fan out); a condition holds when any of them
// satisfies all of its operators. "$meta.<key>" reads the event metadata (stream, account...).

import { z } from 'zod';
import { defineTransform } from '../../src/core/plugin.js';
import type { PipelineEvent } from '../../src/core/types.js';
import { getAll, parsePath, pathProblem, type Path } from './paths.js';

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const OPERATORS = ['equals', 'in', 'regex', 'exists', 'gt', 'gte', 'lt', 'lte'] as const;

export const conditionSchema = z
  .strictObject({
    field: z
      .string()
      .min(1)
      .superRefine((p, ctx) => {
        const problem = pathProblem(p);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .describe('Field path, e.g. "actor.user.name", "unmapped.events.type", or "$meta.stream" for event metadata'),
    equals: scalar.optional().describe('Value equals this (numbers and numeric strings compare equal)'),
    in: z.array(scalar).min(1).optional().describe('Value is one of these'),
    regex: z
      .string()
      .optional()
      .superRefine((r, ctx) => {
        if (r === undefined) return;
        try {
          new RegExp(r, 'u');
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: `invalid regex: ${(err as Error).message}` });
        }
      })
      .describe('Value (as text) matches this JavaScript regular expression'),
    exists: z.boolean().optional().describe('true: the field has a non-null value; false: it has none'),
    gt: z.number().optional().describe('Numeric value greater than'),
    gte: z.number().optional().describe('Numeric value greater than or equal'),
    lt: z.number().optional().describe('Numeric value less than'),
    lte: z.number().optional().describe('Numeric value less than or equal'),
    not: z.boolean().default(false).describe('Invert the condition'),
  })
  .refine((c) => OPERATORS.some((op) => c[op] !== undefined), { message: `a condition needs at least one of: ${OPERATORS.join(', ')}` });

export type Condition = z.infer<typeof conditionSchema>;

export interface CompiledCondition {
  meta: boolean;
  path: Path;
  test(values: unknown[]): boolean;
}

function sameValue(v: unknown, x: unknown): boolean {
  if (v === x) return true;
  if ((typeof v === 'number' && typeof x === 'string') || (typeof v === 'string' && typeof x === 'number')) return String(v) === String(x);
  return false;
}

function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

export function compileCondition(c: Condition): CompiledCondition {
  const meta = c.field.startsWith('$meta.');
  const path = parsePath(meta ? c.field.slice('$meta.'.length) : c.field);
  const re = c.regex !== undefined ? new RegExp(c.regex, 'u') : undefined;
  const valueOps: ((v: unknown) => boolean)[] = [];
  if (c.equals !== undefined) valueOps.push((v) => sameValue(v, c.equals));
  if (c.in !== undefined) valueOps.push((v) => c.in!.some((x) => sameValue(v, x)));
  if (re) valueOps.push((v) => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') && re.test(String(v)));
  const num = (op: (n: number) => boolean) => (v: unknown) => {
    const n = numberOf(v);
    return n !== undefined && op(n);
  };
  if (c.gt !== undefined) valueOps.push(num((n) => n > c.gt!));
  if (c.gte !== undefined) valueOps.push(num((n) => n >= c.gte!));
  if (c.lt !== undefined) valueOps.push(num((n) => n < c.lt!));
  if (c.lte !== undefined) valueOps.push(num((n) => n <= c.lte!));
  return {
    meta,
    path,
    test(values) {
      const present = values.filter((v) => v !== null && v !== undefined);
      let ok = true;
      if (c.exists !== undefined) ok = present.length > 0 === c.exists;
      if (ok && valueOps.length > 0) ok = present.some((v) => valueOps.every((op) => op(v)));
      return c.not ? !ok : ok;
    },
  };
}

export function matches(event: PipelineEvent, conditions: CompiledCondition[], match: 'all' | 'any'): boolean {
  const check = (c: CompiledCondition) => c.test(getAll(c.meta ? event.meta : event.body, c.path));
  return match === 'all' ? conditions.every(check) : conditions.some(check);
}

export const filterTransform = defineTransform({
  type: 'filter',
  description: 'Drop (mode: drop) or keep only (mode: keep) events matching conditions on field paths',
  options: {
    conditions: z.array(conditionSchema).min(1).describe('Conditions on field paths; combined with `match`'),
    match: z.enum(['all', 'any']).default('all').describe('all: every condition must hold; any: at least one'),
    mode: z.enum(['drop', 'keep']).default('drop').describe('drop: remove matching events; keep: remove all others'),
  },
  create(config) {
    const conditions = config.conditions.map(compileCondition);
    return (event) => {
      const hit = matches(event, conditions, config.match);
      return (config.mode === 'drop') === hit ? null : event;
    };
  },
});
