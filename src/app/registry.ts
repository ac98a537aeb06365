// The composition root: the one place that names every plugin. The CLI, the config loader's
// wrappers (config.ts) and startPipeline (start.ts) use this registry; the core and the config
// schema only ever see a Registry they are given.
//
// The lists are the plugin modules' own arrays (not copies), so a test that registers a probe
// plugin by pushing onto `sinkPlugins` is seen here too.

import type { Registry } from '../core/plugin.js';
import { sourcePlugins } from '../sources/index.js';
import { sinkPlugins } from '../sinks/index.js';
import { transformPlugins } from '../../transforms/index.js';

export const defaultRegistry: Registry = {
  sources: sourcePlugins,
  transforms: transformPlugins,
  sinks: sinkPlugins,
};
