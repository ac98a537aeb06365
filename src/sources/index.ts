// Every source type the config accepts. One line per source.

import type { SourcePlugin } from '../core/plugin.js';
import { generatorSource } from './generator.js';

export const sourcePlugins: SourcePlugin[] = [
  generatorSource,
];
