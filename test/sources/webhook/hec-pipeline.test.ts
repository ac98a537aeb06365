// A signed webhook reaches Splunk HEC through a real pipeline (zendesk_webhook → ocsf →
// splunk_hec with a disk buffer), mapped with its risk label; an unknown event type is
// acknowledged only once its dead letter is stored, with the reason.

import { afterAll, describe, expect, it } from 'vitest';
import { startHecReceiver } from '../../receivers/hec.js';
import { readDeadLetters } from '../../support/probe.js';
import { closeAgents, envelope, post, startWebhookRun } from './harness.js';

afterAll(closeAgents);

describe('zendesk_webhook → ocsf → splunk_hec', () => {
  it('delivers a signed role change as OCSF with risk:role_elevated_admin; an unknown type is dead-lettered before the 200', async () => {
    const hec = await startHecReceiver({ tokens: ['hec-token-1'] });
    try {
      const run = await startWebhookRun(
        {},
        [{ id: 'splunk', type: 'splunk_hec', inputs: ['ocsf'], endpoint: hec.url, token: 'hec-token-1', healthcheck: { enabled: false }, buffer: { type: 'disk' }, batch: { maxWait: '10ms' } }],
        { transforms: [{ id: 'ocsf', type: 'ocsf', inputs: ['hooks'] }] },
      );
      const id = '55555555-0000-4000-8000-000000000005';
      const res = await post(run.url, envelope(id, 'zen:event-type:user.role_changed', new Date().toISOString()));
      expect(res.status).toBe(200);
      await hec.waitFor(() => hec.indexed.length >= 1, 15_000, 'the webhook event at HEC');
      const got = hec.indexed[0]!;
      expect(got.sourcetype).toBe('zendesk:webhook:ocsf');
      expect(got.event).toMatchObject({ class_uid: 3005, activity_id: 1, metadata: { uid: `acme:webhook:${id}`, event_code: 'user.role_changed', labels: ['risk:role_elevated_admin'], correlation_uid: 'zen:user:6596848315901' } });

      const unknown = await post(run.url, envelope('66666666-0000-4000-8000-000000000006', 'zen:event-type:user.teleported'));
      expect(unknown.status).toBe(200); // its dead letter is stored: refusing it would only make Zendesk retry forever
      const letters = readDeadLetters(run.dataDir);
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({ component: 'ocsf', reason: 'transform_failed' });
      expect(letters[0]!.detail).toContain('unknown webhook event type "zen:event-type:user.teleported"');
      await run.pipeline.stop();
      expect(hec.indexed).toHaveLength(1);
    } finally {
      await hec.close();
    }
  });
});
