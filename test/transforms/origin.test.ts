// absoluteUrl and hostAndScheme skip the URL parser for plain paths on the account's origin;
// what they return must be exactly what the parser returns, for every input, including the
// ones where the parser changes the text (another host, dot segments, encodings, a host in
// capitals) and so must not take the short cut.

import { describe, expect, it } from 'vitest';
import { absoluteUrl, hostAndScheme } from '../../transforms/zendesk/origin.js';
import { mulberry32 } from '../support/random.js';

const parser = (url: string, origin: string) => {
  try {
    return new URL(url, origin).href;
  } catch {
    return undefined;
  }
};

const ORIGINS = ['https://acme.zendesk.com', 'http://127.0.0.1:34567', 'https://ACME.Zendesk.com', 'https://acme.zendesk.com:443', 'http://[::1]:8080'];

const TRICKY = [
  '/',
  '/api/v2/users/1.json',
  '/api/v2/search.json?query=type:ticket status:open',
  '/api/v2/tickets/1.json?include=users,groups&page[size]=100',
  '//evil.example/x', // another host
  '/\\evil.example/x', // a backslash is a slash in special schemes
  '/\t/evil.example/x', // tabs are removed before parsing
  '/a/../b',
  '/a/./b',
  '/a/%2e%2E/b',
  '/.well-known/x',
  '/a b',
  "/a'b?c'd",
  '/a"b',
  '/a#frag',
  '/a?b#c',
  '/a%zz',
  '/a?x=/../y',
  '/é',
  '/a{b}|c^d`e',
  '/api/v2/users/1.json?',
  'api/v2/relative',
  '?only=query',
  '',
];

describe('absoluteUrl', () => {
  it('returns what the URL parser returns for tricky paths on every kind of origin', () => {
    for (const origin of ORIGINS) for (const url of TRICKY) expect(absoluteUrl(url, origin), `${origin} + ${JSON.stringify(url)}`).toBe(parser(url, origin));
  });

  it('returns what the URL parser returns for seeded random paths', () => {
    const rnd = mulberry32(7);
    const alphabet = "abcXYZ019/.-_~!$&'()*+,;=:@%?#[]{}| \t\\\"<>^`é2eE";
    for (let i = 0; i < 5000; i++) {
      let url = '/';
      const n = Math.floor(rnd() * 16);
      for (let j = 0; j < n; j++) url += alphabet[Math.floor(rnd() * alphabet.length)];
      const origin = ORIGINS[i % ORIGINS.length]!;
      expect(absoluteUrl(url, origin), `${origin} + ${JSON.stringify(url)}`).toBe(parser(url, origin));
    }
  });

  it('keeps absolute urls as they are and has no answer without an origin', () => {
    expect(absoluteUrl('https://other.example/x', 'https://acme.zendesk.com')).toBe('https://other.example/x');
    expect(absoluteUrl('/x', undefined)).toBeUndefined();
  });
});

describe('hostAndScheme', () => {
  it('reads host name and scheme as the URL parser does, on the origin and off it', () => {
    const fulls = ['https://acme.zendesk.com/api/v2/x', 'http://127.0.0.1:34567/a?b', 'https://acme.zendesk.com.evil.example/x', 'https://other.example:8443/x', 'http://[::1]:8080/x'];
    for (const origin of [...ORIGINS, undefined]) {
      for (const full of [...fulls, ...TRICKY.map((t) => (origin ? parser(t, origin) : undefined)).filter((x): x is string => x !== undefined)]) {
        const u = new URL(full);
        expect(hostAndScheme(full, origin), `${origin} / ${full}`).toEqual({ hostname: u.hostname, scheme: u.protocol.slice(0, -1) });
      }
    }
  });
});
