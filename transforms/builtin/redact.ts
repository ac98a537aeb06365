// The `redact` transform: remove, mask or hash field paths (comment bodies, e-mails...), and
// optionally mask e-mail addresses wherever they appear in text.
//
//   - { id: privacy, type: redact, inputs: [ocsf],
//       fields: [ { path: unmapped.events.body, action: remove }, { path: actor.user.email_addr, action: hash } ],
//       maskEmails: true }

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineTransform } from '../../src/core/plugin.js';
import type { Raw } from '../zendesk/fields.js';
import { forEachLeaf, parsePath, pathProblem, type Path } from './paths.js';

const EMAIL = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+/g;

const fieldRule = z.strictObject({
  path: z
    .string()
    .min(1)
    .superRefine((p, ctx) => {
      const problem = pathProblem(p);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .describe('Field path; "*" matches any key or element, e.g. "unmapped.events.*.body"'),
  action: z.enum(['remove', 'mask', 'hash']).default('remove').describe('remove the field, replace it with `mask`, or replace it with a salted SHA-256 (keeps values joinable)'),
});

export interface RedactOptions {
  fields: { path: Path; action: 'remove' | 'mask' | 'hash' }[];
  mask: string;
  maskEmails: boolean;
  hashSalt: string;
}

function hashOf(v: unknown, salt: string): string {
  return createHash('sha256').update(salt).update(typeof v === 'string' ? v : JSON.stringify(v)).digest('hex');
}

function maskEmailsIn(v: unknown, mask: string): unknown {
  if (typeof v === 'string') return v.includes('@') ? v.replace(EMAIL, mask) : v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = maskEmailsIn(v[i], mask);
    return v;
  }
  if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) (v as Raw)[k] = maskEmailsIn(x, mask);
  }
  return v;
}

/** Redacts a copy of `body`; the input is shared with other branches and never modified. */
export function redact(body: Raw, o: RedactOptions): Raw {
  const out = structuredClone(body);
  for (const f of o.fields) {
    forEachLeaf(out, f.path, (parent, key) => {
      if (Array.isArray(parent)) {
        if (f.action === 'remove') parent.splice(key as number, 1);
        else parent[key as number] = f.action === 'mask' ? o.mask : hashOf(parent[key as number], o.hashSalt);
      } else if (f.action === 'remove') delete parent[key];
      else parent[key] = f.action === 'mask' ? o.mask : hashOf(parent[key], o.hashSalt);
    });
  }
  if (o.maskEmails) maskEmailsIn(out, o.mask);
  return out;
}

export const redactTransform = defineTransform({
  type: 'redact',
  description: 'Remove, mask or hash fields (e.g. comment bodies, e-mail addresses) before events leave the process',
  options: {
    fields: z.array(fieldRule).default([]).describe('Field paths to remove, mask or hash'),
    mask: z.string().default('[REDACTED]').describe('Replacement text for masked values and e-mail addresses'),
    maskEmails: z.boolean().default(false).describe('Also mask every e-mail address found in any text value'),
    hashSalt: z.string().default('').describe('Salt for action: hash (use ${ENV_VAR} to keep it out of the file)'),
  },
  create(config) {
    if (config.fields.length === 0 && !config.maskEmails) throw new Error(`redact "${config.id}": list fields or set maskEmails: true`);
    const o: RedactOptions = { fields: config.fields.map((f) => ({ path: parsePath(f.path), action: f.action })), mask: config.mask, maskEmails: config.maskEmails, hashSalt: config.hashSalt };
    return (event) => ({ meta: event.meta, body: redact(event.body, o) });
  },
});
