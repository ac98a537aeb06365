// Shared helpers for the simulator tests: a controllable clock and a tiny HTTP client.

import { DEMO_CREDENTIALS } from '../../src/simulator/index.js';

export const BASIC = `Basic ${Buffer.from(`${DEMO_CREDENTIALS.email}/token:${DEMO_CREDENTIALS.token}`).toString('base64')}`;

/** A fixed instant well away from any minute boundary surprises; tests move it explicitly. */
export const T0 = Date.parse('2026-03-02T12:00:30Z');

export function testClock(start = T0): { now: () => number; advance: (ms: number) => void; set: (ms: number) => void } {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    set: (ms) => {
      t = ms;
    },
  };
}

export interface Reply<T = unknown> {
  status: number;
  headers: Record<string, string>;
  text: string;
  json: T;
}

export async function get<T = unknown>(url: string, headers: Record<string, string> = { authorization: BASIC }, signal?: AbortSignal): Promise<Reply<T>> {
  const res = await fetch(url, { headers, signal });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: Object.fromEntries(res.headers), text, json: json as T };
}

export function counts<T>(items: T[]): Map<T, number> {
  const m = new Map<T, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return m;
}
