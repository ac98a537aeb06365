// `zsf top` in a real pseudo-terminal (util-linux `script`): it redraws in place, quits on q
// and on Ctrl-C (a byte in raw mode, not a signal), and leaves the terminal as it found it
// (`stty -a` afterwards shows canonical mode and echo back on). Skipped where `script` is
// missing: nothing here is installed by `npm ci`.

import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startPipeline } from '../../src/app/start.js';
import { eventually } from '../support/eventually.js';
import { captureLogs, tempDir } from '../support/probe.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).stdout?.includes('util-linux') ?? false;


function inPty(command: string) {
  const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, out: () => out, closed };
}

describe.skipIf(!hasScript)('zsf top in a pseudo-terminal', () => {
  it.each([
    ['q', 'q'],
    ['Ctrl-C', '\x03'],
  ])('redraws in place and exits 0 on %s with the terminal restored', async (_name, key) => {
    const p = await startPipeline(
      { dataDir: tempDir(), log: { level: 'warn' }, sources: [{ id: 'gen', type: 'generator', count: 400, batchSize: 100 }], sinks: [{ id: 'out', type: 'null', inputs: ['gen'] }] },
      { api: { listen: '127.0.0.1:0' }, logDestination: captureLogs().stream },
    );
    try {
      const cmd = `'${process.execPath}' --import tsx src/cli/main.ts top --url ${p.apiUrl!} --interval 200ms; echo EXIT=$?; stty -a`;
      const pty = inPty(`sh -c "${cmd}"`);
      // Two frames with rates: the screen is redrawn from the home position, not appended.
      await eventually(() => (pty.out().match(/out\s+400\s+0\.0\s/g) ?? []).length >= 2, 'two frames with rates');
      pty.child.stdin.write(key);
      const code = await pty.closed;
      const out = pty.out();
      expect(code).toBe(0);
      expect(out).toContain('EXIT=0');
      expect(out.indexOf('\x1b[?1049h')).toBeLessThan(out.indexOf('\x1b[?1049l')); // entered, then left the alternate screen
      expect(out.split('\x1b[H').length - 1).toBeGreaterThanOrEqual(3); // "waiting" + two frames, each from the top-left
      const stty = out.slice(out.indexOf('EXIT=0'));
      expect(stty).toMatch(/(^|\s)icanon(\s|$)/); // raw mode switched off again
      expect(stty).toMatch(/(^|\s)echo(\s|$)/);
      expect(stty).not.toMatch(/\s-icanon\s/);
    } finally {
      await p.stop();
    }
  });
});
