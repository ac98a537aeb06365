// One delivery of the `http` sink: encode the batch as NDJSON, send it once through the
// shared HTTP layer (TLS, proxy, gzip, byte metrics), classify the answer.

import type { BuildEnv } from '../../core/plugin.js';
import type { SendOutcome, SinkDriver } from '../../core/types.js';
import { reuseEncoding } from '../shared/encoding-memo.js';
import { createHttpTransport } from '../shared/http.js';
import { classifyHttpSinkResponse } from './classify.js';
import type { HttpSinkConfig } from './config.js';
import { encodeNdjsonBody } from './encode.js';

/** Header names whose values are credentials even when written inline (the loader registers ${file:} values itself). */
const SECRET_HEADER = /authorization|token|key|secret|cookie|password|signature/i;

function authorization(auth: HttpSinkConfig['auth']): string | undefined {
  switch (auth.type) {
    case 'basic':
      return `Basic ${Buffer.from(`${auth.user}:${auth.password}`, 'utf8').toString('base64')}`;
    case 'bearer':
      return `Bearer ${auth.token}`;
    case 'none':
      return undefined;
  }
}

export function createHttpDriver(config: HttpSinkConfig, env: Pick<BuildEnv, 'metrics' | 'secrets' | 'resolvePath'> & { now?: () => number }): SinkDriver {
  const now = env.now ?? Date.now;
  const transport = createHttpTransport(config, env, { connections: Math.max(config.concurrency, 1) });
  for (const [name, value] of Object.entries(config.headers)) if (SECRET_HEADER.test(name)) env.secrets.add(value);
  const auth = authorization(config.auth);
  if (auth) env.secrets.add(auth);
  if (config.auth.type === 'basic') env.secrets.add(config.auth.password);
  if (config.auth.type === 'bearer') env.secrets.add(config.auth.token);
  const headers: Record<string, string> = {
    'content-type': 'application/x-ndjson',
    'user-agent': 'zendesk-siem-forwarder',
    ...Object.fromEntries(Object.entries(config.headers).map(([k, v]) => [k.toLowerCase(), v])),
    ...(auth ? { authorization: auth } : {}),
  };

  return {
    async send(events, signal, memo): Promise<SendOutcome> {
      if (events.length === 0) return { kind: 'ok' };
      // Encoded and compressed once per batch; a retry resends the same bytes.
      const body = await reuseEncoding(memo, 'ndjson', () => transport.prepare(encodeNdjsonBody(events)));
      const res = await transport.send({ url: config.uri, method: config.method, headers, body, signal });
      const outcome = classifyHttpSinkResponse(res.status, res.headers, res.text, now());
      return 'reason' in outcome ? { ...outcome, reason: env.secrets.scrub(outcome.reason) } : outcome;
    },
    close: () => transport.close(),
  };
}
