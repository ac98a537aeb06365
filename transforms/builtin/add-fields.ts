// The `add_fields` transform: set constant values at field paths.
//
//   - { id: tag, type: add_fields, inputs: [ocsf], fields: { "metadata.tenant_uid": "emea", "unmapped.env": "prod" } }

import { z } from 'zod';
import { defineTransform } from '../../src/core/plugin.js';
import type { Raw } from '../zendesk/fields.js';
import { hasWildcard, parsePath, pathProblem, setPath, type Path } from './paths.js';

/** Problems of a path that values are written to, or undefined. */
export function targetPathProblem(p: string): string | undefined {
  const problem = pathProblem(p);
  if (problem) return problem;
  if (hasWildcard(parsePath(p))) return `"*" is not allowed in a target path ("${p}")`;
  return undefined;
}

// Keys are checked here rather than with a key schema so that the message names the key plainly.
const checkKeys = (rec: Record<string, unknown>, ctx: z.RefinementCtx) => {
  for (const k of Object.keys(rec)) {
    const problem = targetPathProblem(k);
    if (problem) ctx.addIssue({ code: 'custom', path: [k], message: problem });
  }
};

export function addFields(body: Raw, fields: [Path, unknown][], overwrite: boolean): Raw {
  const out = structuredClone(body);
  for (const [path, value] of fields) setPath(out, path, structuredClone(value), overwrite);
  return out;
}

export const addFieldsTransform = defineTransform({
  type: 'add_fields',
  description: 'Set constant values at field paths (objects on the way are created)',
  options: {
    fields: z.record(z.string(), z.json()).superRefine(checkKeys).describe('Map of field path -> JSON value, e.g. { "unmapped.env": "prod" }'),
    overwrite: z.boolean().default(true).describe('Replace values that already exist (false: keep them)'),
  },
  create(config) {
    const fields = Object.entries(config.fields).map(([p, v]): [Path, unknown] => [parsePath(p), v]);
    return (event) => ({ meta: event.meta, body: addFields(event.body, fields, config.overwrite) });
  },
});
