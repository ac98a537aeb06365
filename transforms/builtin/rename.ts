// The `rename` transform: move values from one field path to another.
//
//   - { id: rn, type: rename, inputs: [raw], fields: { "ip_address": "client.ip", "actor_name": "client.user" } }

import { z } from 'zod';
import { defineTransform } from '../../src/core/plugin.js';
import type { Raw } from '../zendesk/fields.js';
import { targetPathProblem } from './add-fields.js';
import { getOne, parsePath, removeOne, setPath, type Path } from './paths.js';

const checkPaths = (rec: Record<string, string>, ctx: z.RefinementCtx) => {
  for (const [from, to] of Object.entries(rec)) {
    const a = targetPathProblem(from);
    if (a) ctx.addIssue({ code: 'custom', path: [from], message: a });
    const b = targetPathProblem(to);
    if (b) ctx.addIssue({ code: 'custom', path: [from], message: b });
  }
};

export function rename(body: Raw, moves: [Path, Path][], overwrite: boolean): Raw {
  const out = structuredClone(body);
  for (const [from, to] of moves) {
    const v = getOne(out, from);
    if (v === undefined) continue;
    if (!overwrite && getOne(out, to) !== undefined) continue;
    removeOne(out, from);
    setPath(out, to, v, true);
  }
  return out;
}

export const renameTransform = defineTransform({
  type: 'rename',
  description: 'Move values from one field path to another (missing source fields are skipped)',
  options: {
    fields: z.record(z.string(), z.string()).superRefine(checkPaths).describe('Map of source path -> target path, applied in order'),
    overwrite: z.boolean().default(true).describe('Replace a value already at the target (false: leave both as they are)'),
  },
  create(config) {
    const moves = Object.entries(config.fields).map(([f, t]): [Path, Path] => [parsePath(f), parsePath(t)]);
    return (event) => ({ meta: event.meta, body: rename(event.body, moves, config.overwrite) });
  },
});
