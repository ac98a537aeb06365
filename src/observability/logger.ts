// JSON logs (pino). Known secret-bearing keys are redacted by path, and every line is
// scrubbed of every secret value the config resolved, wherever it appears.

import { pino, type DestinationStream, type Logger } from 'pino';
import type { Secrets } from './secrets.js';

const REDACT_PATHS = [
  'token', '*.token', 'apiKey', '*.apiKey', 'password', '*.password', 'authorization', '*.authorization',
  'headers.authorization', '*.headers.authorization', 'accessToken', '*.accessToken', 'secretAccessKey', '*.secretAccessKey',
];

export function createLogger(opts: { level: string; secrets: Secrets; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: opts.level,
      base: { name: 'zsf' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      hooks: { streamWrite: (line) => opts.secrets.scrub(line) },
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
