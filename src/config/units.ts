// Config fields in human units (zod); the parsing itself is in src/util/units.ts.

import { z } from 'zod';
import { formatDuration, parseDuration, parseSize } from '../util/units.js';

export { formatDuration, parseDuration, parseSize };

/** A duration field; the parsed value is milliseconds. */
export function duration(opts: { min?: number; max?: number } = {}) {
  return z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a duration such as "500ms", "30s", "5m" or "1h", got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    if (opts.min !== undefined && ms < opts.min) ctx.addIssue({ code: 'custom', message: `must be at least ${formatDuration(opts.min)}` });
    if (opts.max !== undefined && ms > opts.max) ctx.addIssue({ code: 'custom', message: `must be at most ${formatDuration(opts.max)}` });
    return ms;
  });
}

/** A size field; the parsed value is bytes. */
export function size(opts: { min?: number; max?: number } = {}) {
  return z.union([z.string(), z.number()]).transform((v, ctx) => {
    const bytes = parseSize(v);
    if (bytes === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a size such as "64KiB", "10MB" or "1GiB", got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    if (opts.min !== undefined && bytes < opts.min) ctx.addIssue({ code: 'custom', message: `must be at least ${opts.min} bytes` });
    if (opts.max !== undefined && bytes > opts.max) ctx.addIssue({ code: 'custom', message: `must be at most ${opts.max} bytes` });
    return bytes;
  });
}
