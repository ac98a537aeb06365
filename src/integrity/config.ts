// The `integrity` option of the archive sinks (s3, file).

import { z } from 'zod';
import { duration } from '../config/units.js';

export const integrityOption = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Hash-chain every stored object and write manifests under _integrity/ (docs/integrity.md)'),
    signingKey: z.string().min(1).optional().describe('Ed25519 private key PEM, normally "${file:/run/secrets/zsf-signing.pem}" (zsf keygen)'),
    signEvery: z
      .strictObject({
        objects: z.number().int().min(1).default(100).describe('Sign the chain head after this many new objects'),
        interval: duration({ min: 1000 }).default(300_000).describe('…or when the oldest unsigned object is this old'),
      })
      .default({ objects: 100, interval: 300_000 }),
  })
  .optional()
  .refine((v) => !v?.enabled || v.signingKey !== undefined, { message: 'integrity.enabled needs integrity.signingKey (an Ed25519 PEM from `zsf keygen`, via ${file:...})' });

export type IntegrityConfig = NonNullable<z.infer<typeof integrityOption>>;
