// Loading a config with the default registry and the process environment: the edge's side of
// src/config/load.ts, which takes both as arguments.

import type { Registry } from '../core/plugin.js';
import { loadConfig, loadConfigFromFile, type Env, type LoadedConfig as LoadedAnyConfig } from '../config/load.js';
import { configJsonSchema as jsonSchemaOf, configSchema as schemaOf, type Config } from '../config/schema.js';
import type { Secrets } from '../observability/secrets.js';
import type { ZendeskSectionConfig } from '../sources/zendesk/account-config.js';
import { defaultRegistry } from './registry.js';

/** The config of the default registry: the common fields, the components, and its sections. */
export type AppConfig = Config & { zendesk: ZendeskSectionConfig };
export type LoadedConfig = LoadedAnyConfig<AppConfig>;

// The default registry's schema has these sections (its Zendesk sources contribute `zendesk`),
// so the parsed config has them too: the one place their type is stated.
const withSections = (loaded: LoadedAnyConfig): LoadedConfig => loaded as LoadedConfig;

export function loadConfigFile(file: string, env: Env = process.env, registry: Registry = defaultRegistry): LoadedConfig {
  return withSections(loadConfigFromFile(file, registry, env));
}

export function loadConfigObject(raw: unknown, opts: { env?: Env; baseDir?: string; secrets?: Secrets } = {}, registry: Registry = defaultRegistry): LoadedConfig {
  return withSections(loadConfig(raw, registry, { ...opts, env: opts.env ?? process.env }));
}

export function configSchema(registry: Registry = defaultRegistry) {
  return schemaOf(registry);
}

/** JSON Schema of the config file, for editors (yaml-language-server). */
export function configJsonSchema(registry: Registry = defaultRegistry): unknown {
  return jsonSchemaOf(registry);
}
