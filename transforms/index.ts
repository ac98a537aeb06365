// PLACEHOLDER written by the lead so the core compiles; the transforms engineer replaces it.
import type { TransformPlugin } from '../src/core/plugin.js';
export const transformPlugins: TransformPlugin[] = [];
