// ULIDs (https://github.com/ulid/spec) for access-log ids: 26 Crockford base32 characters,
// 10 for the millisecond timestamp then 16 of randomness, so they sort by time as strings.
// The access-log docs show ids like "01H6PWD1WQFC6EYJCJWFJ59EVE" and use them as cursors.

import type { Rng } from './prng.js';

export const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ULID_RE = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

const CODES = Array.from(CROCKFORD, (c) => c.charCodeAt(0));
const buf: number[] = new Array<number>(26).fill(0);

export function ulid(ms: number, rng: Rng): string {
  if (!Number.isInteger(ms) || ms < 0 || ms > 2 ** 48 - 1) throw new RangeError(`ulid time out of range: ${ms}`);
  let t = ms;
  for (let i = 9; i >= 0; i--) {
    buf[i] = CODES[t % 32] as number;
    t = Math.floor(t / 32);
  }
  // 80 random bits as four 20-bit draws of four characters each.
  for (let i = 0; i < 4; i++) {
    const v = Math.floor(rng() * 0x100000);
    const o = 10 + i * 4;
    buf[o] = CODES[v >>> 15] as number;
    buf[o + 1] = CODES[(v >>> 10) & 31] as number;
    buf[o + 2] = CODES[(v >>> 5) & 31] as number;
    buf[o + 3] = CODES[v & 31] as number;
  }
  return String.fromCharCode(...buf);
}

export function isUlid(s: string): boolean {
  return ULID_RE.test(s);
}

/** Milliseconds encoded in the first 10 characters. */
export function ulidTime(id: string): number {
  let t = 0;
  for (let i = 0; i < 10; i++) t = t * 32 + CROCKFORD.indexOf(id.charAt(i));
  return t;
}
