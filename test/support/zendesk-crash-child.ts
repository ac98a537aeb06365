// Child process for the Zendesk restart test: audit + access + ticket sources against a
// simulator run by the parent, following (not --once), until the parent kills it.
// It loads its modules first and says "ready", then starts on "go" from stdin, so that the
// parent can warm the next process while this one runs and a restart takes milliseconds.
// argv: dataDir simulatorUrl rateWindowMs startTime
import { DEMO_CREDENTIALS } from '../../src/simulator/index.js';
import { runAsWarmChild } from './warm-child-main.js';

const [dataDir, url, windowMs, startTime] = process.argv.slice(2);
await runAsWarmChild(
  {
    dataDir,
    api: { enabled: false },
    log: { level: 'error' },
    zendesk: {
      accounts: [
        // Client budgets below the simulator's (6 and 3 per window), so that request travel
        // time cannot cause a 429, while two processes spending the same window still would.
        { name: 'acme', baseUrl: url, auth: { type: 'token', email: DEMO_CREDENTIALS.email, token: DEMO_CREDENTIALS.token }, requestsPerMinute: 4, rateWindow: Number(windowMs) },
      ],
    },
    sources: [
      { id: 'audit', type: 'zendesk_audit_logs', account: 'acme', startTime, initialWindow: '1h', pollInterval: '1s' },
      { id: 'access', type: 'zendesk_access_logs', account: 'acme', startTime, initialWindow: '1h', pageSize: 100, requestsPerMinute: 2, pollInterval: '1s' },
      { id: 'tickets', type: 'zendesk_ticket_audits', account: 'acme', startTime, requestsPerMinute: 2, pollInterval: '1s' },
    ],
    sinks: [{ id: 'out', type: 'null', inputs: ['audit', 'access', 'tickets'] }],
  },
  { once: false },
);
