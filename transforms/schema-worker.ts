// The ocsf and ecs transforms as a transform worker rebuilds them (src/core/pipeline/transform-worker.ts):
// the same schemaTransform and mapper as the plugins' `create`, from options that crossed to the worker.

import type { Transform } from '../src/core/types.js';
import { mapEcs } from './ecs/index.js';
import { mapOcsf } from './ocsf/index.js';
import { schemaTransform, type MapperOptions } from './schema-transform.js';

export interface SchemaWorkerOptions {
  schema: 'ocsf' | 'ecs';
  options: MapperOptions;
}

export function createWorkerTransform(o: SchemaWorkerOptions): Transform {
  return schemaTransform(o.schema, o.options, o.schema === 'ocsf' ? mapOcsf : mapEcs);
}
