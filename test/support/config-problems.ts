// The problems a config load reports ([] when it loads), for tests of config errors.

import { ConfigError } from '../../src/config/errors.js';
import { loadConfigObject } from '../../src/app/config.js';

export function problems(raw: unknown, env: Record<string, string> = {}): string[] {
  try {
    loadConfigObject(raw, { env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}
