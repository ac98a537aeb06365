// The `http` sink: newline-delimited JSON POSTed (or PUT) to any URL, gzip, basic or bearer auth.
// Built by following docs/adding-a-sink.md.

import { defineSink } from '../../core/plugin.js';
import { httpDefaults, httpOptions } from './config.js';
import { createHttpDriver } from './driver.js';

export const httpSink = defineSink({
  type: 'http',
  description: 'Newline-delimited JSON to any HTTP(S) URL (POST or PUT), gzip, basic or bearer auth',
  options: httpOptions,
  defaults: httpDefaults,
  create(config, env) {
    return createHttpDriver(config, env);
  },
});
