// The `datadog_logs` sink: Datadog Logs intake (v2 /api/v2/logs) through the official
// client over our own undici HTTP layer. See docs/sinks-splunk-datadog.md.

import { defineSink } from '../../core/plugin.js';
import { datadogDefaults, datadogOptions } from './config.js';
import { createDatadogDriver } from './driver.js';

export const datadogLogsSink = defineSink({
  type: 'datadog_logs',
  description: 'Datadog Logs (POST /api/v2/logs via @datadog/datadog-api-client), gzip, 5 MB / 1000 logs per request',
  options: datadogOptions,
  defaults: datadogDefaults,
  create(config, env) {
    return createDatadogDriver(config, env);
  },
});
