import { createServer } from 'node:http';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest } from '../../src/sinks/shared/request.js';

describe('httpRequest (shared by the HTTP sinks)', () => {
  const big = Buffer.alloc(100_000, 0xab);
  const server = createServer((req, res) => res.end(req.url === '/big' ? big : 'ok'));
  const dispatcher = new Agent();
  let base = '';
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await dispatcher.close();
    await new Promise((r) => server.close(r));
  });

  it('keeps at most maxResponseBytes of the answer, as bytes, and says when it cut', async () => {
    const cut = await httpRequest({ dispatcher, url: `${base}/big`, method: 'GET', maxResponseBytes: 1000 });
    expect(cut.status).toBe(200);
    expect(cut.truncated).toBe(true);
    expect(cut.body.equals(big.subarray(0, 1000))).toBe(true);
    const whole = await httpRequest({ dispatcher, url: `${base}/big`, method: 'GET', maxResponseBytes: 100_000 });
    expect(whole.truncated).toBe(false);
    expect(whole.body.length).toBe(100_000);
    const small = await httpRequest({ dispatcher, url: `${base}/`, method: 'GET' });
    expect([small.text, small.truncated]).toEqual(['ok', false]);
  });
});
