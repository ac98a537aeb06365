// The `raw` transform: the upstream JSON as Zendesk sent it, plus a `zsf` object with the
// deterministic event id, account and stream (so a SIEM can dedupe and route without a schema).

import { defineTransform } from '../src/core/plugin.js';
import type { PipelineEvent } from '../src/core/types.js';
import { MappingError, type Raw } from './zendesk/fields.js';
import { sourcetypeOf } from './zendesk/prepare.js';

export function mapRaw(event: PipelineEvent): Raw {
  // A new top-level object: the upstream JSON is shared with other branches of the graph.
  return { ...event.body, zsf: { event_id: event.meta.id, account: event.meta.account, stream: event.meta.stream, time: new Date(event.meta.time).toISOString() } };
}

export const rawTransform = defineTransform({
  type: 'raw',
  description: 'Ship the upstream Zendesk JSON unchanged, with the deterministic event id, account and stream added under "zsf"',
  options: {},
  create() {
    return (event) => {
      if (event.meta.schema === 'raw') return event;
      if (event.meta.schema !== 'zendesk') throw new MappingError(`raw transform expects Zendesk records, got a "${event.meta.schema}" event`);
      return { meta: { ...event.meta, schema: 'raw', sourcetype: sourcetypeOf(event.meta.stream, 'raw') }, body: mapRaw(event) };
    };
  },
});
