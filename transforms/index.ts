// Every transform type the config accepts. One line per transform.
// Enrichment is not a separate type: it is the `enrich` option of ocsf/ecs (on by default),
// because the risk rules need the record as Zendesk sent it, before the schema mapping.

import type { TransformPlugin } from '../src/core/plugin.js';
import { addFieldsTransform } from './builtin/add-fields.js';
import { filterTransform } from './builtin/filter.js';
import { redactTransform } from './builtin/redact.js';
import { renameTransform } from './builtin/rename.js';
import { ecsTransform } from './ecs/index.js';
import { ocsfTransform } from './ocsf/index.js';
import { rawTransform } from './raw.js';

export const transformPlugins: TransformPlugin[] = [
  ocsfTransform,
  ecsTransform,
  rawTransform,
  filterTransform,
  redactTransform,
  addFieldsTransform,
  renameTransform,
];
