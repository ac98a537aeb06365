// The `splunk_hec` sink: Splunk HTTP Event Collector (event or raw endpoint), gzip,
// optional indexer acknowledgements. See docs/sinks-splunk-datadog.md.

import { defineSink } from '../../core/plugin.js';
import { hecDefaults, hecOptions } from './config.js';
import { createHecDriver } from './driver.js';

export const splunkHecSink = defineSink({
  type: 'splunk_hec',
  description: 'Splunk HTTP Event Collector (/services/collector/event or /raw), gzip, optional indexer acknowledgements',
  options: hecOptions,
  defaults: hecDefaults,
  create(config, env) {
    return createHecDriver(config, env);
  },
});
