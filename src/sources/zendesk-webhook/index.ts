// `zendesk_webhook`: a push source. Zendesk POSTs signed event webhooks (user, organization,
// ticket events) to this listener; each accepted request becomes one record of stream
// `webhook` with id `account:webhook:<Zendesk event id>`, and is answered 200 only once the
// event is durable in every sink buffer (see the receipt in src/core/types.ts).

import { createServer, type Server } from 'node:http';
import { defineSource } from '../../core/plugin.js';
import { webhookOptions, type WebhookConfig } from './config.js';
import { webhookHandler } from './listener.js';

function splitListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, '') || '0.0.0.0', port: Number(listen.slice(i + 1)) };
}

export const zendeskWebhookSource = defineSource({
  type: 'zendesk_webhook',
  description: 'Zendesk event webhooks (user, organization, ticket events) pushed to a signed HTTP listener; answered only once durable',
  options: webhookOptions,
  create(config) {
    return {
      async run(ctx) {
        const server: Server = createServer(webhookHandler(config as WebhookConfig, ctx));
        // Zendesk gives up after about 10 s; a slow client must not hold a socket forever.
        server.requestTimeout = 15_000;
        server.headersTimeout = 10_000;
        const { host, port } = splitListen(config.listen);
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, host, () => {
            server.off('error', reject);
            resolve();
          });
        });
        const addr = server.address();
        const url = typeof addr === 'object' && addr ? `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}` : config.listen;
        ctx.logger.info({ url, paths: config.endpoints.map((e) => e.path) }, 'webhook listener ready');
        try {
          await new Promise<void>((resolve, reject) => {
            server.on('error', reject);
            if (ctx.signal.aborted) resolve();
            ctx.signal.addEventListener('abort', () => resolve(), { once: true });
          });
        } finally {
          // Requests still waiting are answered 503 by their handlers (the signal aborted).
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeIdleConnections();
            setTimeout(() => server.closeAllConnections(), 1000).unref();
          });
        }
      },
    };
  },
});
