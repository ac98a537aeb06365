// Which side of limits.maxRecordBytes / maxRecordDepth a record lands on. The size is a count
// made in one walk without building the JSON text: every string counts its length + 2 quotes
// (UTF-8 bytes from 256 characters on, where the limit is decided), a key its length + 4 (two
// quotes, colon, comma), an object 2 braces, an array 2 brackets + one comma per item, a
// number its String() length, true 4, false 5, null 4. So the count of a record is its JSON
// length plus one for every non-empty object and array (the comma after the last member is
// counted too): a record whose JSON text is exactly maxBytes long is over the limit by that
// one byte, and one byte shorter is within it.

import { describe, expect, it } from 'vitest';
import { checkRecordLimits } from '../../src/core/record-limits.js';
import { mulberry32 } from '../support/random.js';

const limits = (maxBytes: number, maxDepth = 64) => ({ maxBytes, maxDepth });
const MIB = 1024 * 1024;

describe('checkRecordLimits at the 1 MiB boundary', () => {
  // {"s":"x…x"}: JSON length n + 8; count 2 (braces) + 5 (key "s") + n + 2 (quotes) = n + 9.
  const record = (n: number) => ({ s: 'x'.repeat(n) });

  it('a record whose count is exactly maxBytes is within it; one more byte is record_too_large', () => {
    expect(JSON.stringify(record(MIB - 9)).length).toBe(MIB - 1);
    expect(checkRecordLimits(record(MIB - 9), limits(MIB))).toBeUndefined();
    expect(checkRecordLimits(record(MIB - 8), limits(MIB))).toMatchObject({ reason: 'record_too_large' });
  });

  it('a JSON text of exactly maxBytes is over: the last member is counted with a comma', () => {
    expect(JSON.stringify(record(MIB - 8)).length).toBe(MIB);
    expect(checkRecordLimits(record(MIB - 8), limits(MIB))?.reason).toBe('record_too_large');
  });

  it('long strings count UTF-8 bytes (é is 2), short ones their UTF-16 length', () => {
    // 300 × "é": 600 UTF-8 bytes, 300 UTF-16 units; count 2 + 5 + 600 + 2 = 609.
    const long = { s: 'é'.repeat(300) };
    expect(checkRecordLimits(long, limits(609))).toBeUndefined();
    expect(checkRecordLimits(long, limits(608))?.reason).toBe('record_too_large');
    // 200 × "é" (under 256 characters): counted as 200; count 2 + 5 + 200 + 2 = 209.
    const short = { s: 'é'.repeat(200) };
    expect(checkRecordLimits(short, limits(209))).toBeUndefined();
    expect(checkRecordLimits(short, limits(208))?.reason).toBe('record_too_large');
  });

  it('numbers count the characters of their JSON form, booleans and null their words', () => {
    // {"a":-1234567,"b":1.5e-7,"c":true,"d":false,"e":null}
    // 2 + 5 keys × 5 + 8 (-1234567) + 6 (1.5e-7) + 4 + 5 + 4 = 54
    const r = { a: -1234567, b: 1.5e-7, c: true, d: false, e: null };
    expect(checkRecordLimits(r, limits(54))).toBeUndefined();
    expect(checkRecordLimits(r, limits(53))?.reason).toBe('record_too_large');
    // Large and unsafe integers are counted as String() writes them.
    const big = { n: Number.MAX_SAFE_INTEGER, m: 2 ** 60 };
    const count = 2 + 5 + 5 + String(Number.MAX_SAFE_INTEGER).length + String(2 ** 60).length;
    expect(checkRecordLimits(big, limits(count))).toBeUndefined();
    expect(checkRecordLimits(big, limits(count - 1))?.reason).toBe('record_too_large');
  });

  it('arrays count their brackets and one comma per item', () => {
    // {"a":[1,22,333]}: 2 + 5 + (2 + 3 commas) + 1 + 2 + 3 = 18
    expect(checkRecordLimits({ a: [1, 22, 333] }, limits(18))).toBeUndefined();
    expect(checkRecordLimits({ a: [1, 22, 333] }, limits(17))?.reason).toBe('record_too_large');
  });
});

describe('checkRecordLimits depth', () => {
  const nested = (levels: number): unknown => {
    let v: unknown = 'leaf';
    for (let i = 1; i < levels; i++) v = { v };
    return { v };
  };

  it('maxDepth levels of objects pass, one more is record_too_deep', () => {
    expect(checkRecordLimits(nested(64), limits(MIB))).toBeUndefined();
    expect(checkRecordLimits(nested(65), limits(MIB))?.reason).toBe('record_too_deep');
  });

  it('a record both too deep and too large reports the limit its walk meets first', () => {
    // The big string sits at the top level and the deep branch is walked first (last key,
    // popped first), so the depth is met before the size.
    const r = { big: 'x'.repeat(2000), deep: nested(70) };
    expect(checkRecordLimits(r, limits(1000))?.reason).toBe('record_too_deep');
    // With the big string walked first, the size is met first.
    const s = { deep: nested(70), big: 'x'.repeat(2000) };
    expect(checkRecordLimits(s, limits(1000))?.reason).toBe('record_too_large');
  });
});

describe('checkRecordLimits counts numbers as their text', () => {
  it('every integer of a seeded sample counts as String(n).length', () => {
    // One-key records {"n":<n>}: count 2 + 5 + String(n).length, so the limit at that count passes and one below fails.
    const next = mulberry32(13);
    const samples = [0, -0, 9, 10, -10, 99, 100, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
    for (let i = 0; i < 500; i++) samples.push(Math.floor((next() - 0.5) * 2 * 10 ** Math.floor(next() * 16)));
    for (const n of samples) {
      const count = 7 + String(n).length;
      expect(checkRecordLimits({ n }, limits(count)), `n = ${n}`).toBeUndefined();
      expect(checkRecordLimits({ n }, limits(count - 1))?.reason, `n = ${n}`).toBe('record_too_large');
    }
  });
});
