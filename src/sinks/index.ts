// Every sink type the config accepts. One line per sink; the config schema is built from this list.

import type { SinkPlugin } from '../core/plugin.js';
import { fileSink } from './file.js';
import { stdoutSink } from './stdout.js';
import { nullSink } from './null.js';
import { splunkHecSink } from './splunk-hec/index.js';
import { datadogLogsSink } from './datadog/index.js';
import { otlpSink } from './otlp/index.js';
import { s3Sink } from './s3/index.js';
import { httpSink } from './http/index.js';

export const sinkPlugins: SinkPlugin[] = [
  fileSink,
  stdoutSink,
  nullSink,
  splunkHecSink,
  datadogLogsSink,
  otlpSink,
  s3Sink,
  httpSink,
];
