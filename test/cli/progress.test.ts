import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { startProgress } from '../../src/cli/progress.js';
import { startPipeline } from '../../src/app/start.js';
import { captureLogs, tempDir } from '../support/probe.js';

describe('backfill progress on a terminal', () => {
  it('shows records, 429s, how far behind the checkpoint is and the state of each source', async () => {
    const p = await startPipeline(
      {
        dataDir: tempDir(),
        api: { enabled: false },
        sources: [{ id: 'gen', type: 'generator', count: 1234, batchSize: 100, startTime: new Date(Date.now() - 3_600_000).toISOString() }],
        sinks: [{ id: 'n', type: 'null', inputs: ['gen'] }],
      },
      { once: true, logDestination: captureLogs().stream },
    );
    await p.done;
    let text = '';
    const tty = Object.assign(new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) }), { isTTY: true }) as unknown as NodeJS.WriteStream;
    const stop = startProgress(p, tty);
    await stop();
    const line = text.replaceAll('\x1b[2K', '').replace(new RegExp(String.fromCharCode(27) + '\\[\\d*A', 'g'), '');
    expect(line).toMatch(/^gen\s+▕█+░*▏\s+1,234 records\s+0 req\/min\s+0 × 429\s+\S+ behind\s+caught_up\n$/);

    let plain = '';
    const pipe = Object.assign(new Writable({ write: (c, _e, cb) => ((plain += String(c)), cb()) }), { isTTY: false }) as unknown as NodeJS.WriteStream;
    await startProgress(p, pipe)();
    expect(plain).toBe(''); // not a terminal: the periodic log line is enough
  });
});
