// The product version for Parquet `created_by`: package.json is two levels up from
// src/sinks/s3 under tsx and three from dist/src/sinks/s3 when built.
import { readFileSync } from 'node:fs';

function readVersion(): string {
  for (const rel of ['../../../package.json', '../../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'zendesk-siem-forwarder' && pkg.version) return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0';
}

export const PRODUCT_VERSION = readVersion();
