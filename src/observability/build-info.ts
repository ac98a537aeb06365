// The version this process runs, for `zsf --version` and the `zsf_build_info` gauge.

import { readFileSync } from 'node:fs';

let cached: string | undefined;

// src/observability/ under tsx, dist/src/observability/ when built: package.json is two or three levels up.
export function packageVersion(): string {
  if (cached) return cached;
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'zendesk-siem-forwarder' && pkg.version) return (cached = pkg.version);
    } catch {
      // try the next candidate
    }
  }
  return (cached = '0.0.0');
}
