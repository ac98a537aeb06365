// The simulator's query parser against Rack's own behaviour. Expected values are the results
// Rack::QueryParser#parse_nested_query gives for the same strings (rack/rack,
// lib/rack/query_parser.rb and test/spec_utils.rb "parse nested query strings correctly").

import { describe, expect, it } from 'vitest';
import { dig, parseNestedQuery, RackParameterError, scalar } from '../../src/simulator/rack-query.js';

const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('parseNestedQuery (Rack rules)', () => {
  const table: [string, unknown][] = [
    ['', {}],
    ['foo', { foo: null }],
    ['foo=', { foo: '' }],
    ['foo=bar', { foo: 'bar' }],
    ['foo="bar"', { foo: '"bar"' }],
    // A bare repeated key keeps the last value: the bug Zendesk's 400 is about.
    ['foo=bar&foo=quux', { foo: 'quux' }],
    ['filter[created_at]=2026-01-01T00:00:00Z&filter[created_at]=2026-01-02T00:00:00Z', { filter: { created_at: '2026-01-02T00:00:00Z' } }],
    ['filter[created_at][]=2026-01-01T00:00:00Z&filter[created_at][]=2026-01-02T00:00:00Z', { filter: { created_at: ['2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z'] } }],
    ['foo&foo=', { foo: '' }],
    ['foo=1&bar=2', { foo: '1', bar: '2' }],
    ['&foo=1&&bar=2', { foo: '1', bar: '2' }],
    ['foo&bar=', { foo: null, bar: '' }],
    ['foo=bar&baz=', { foo: 'bar', baz: '' }],
    ['my+weird+field=q1%212%22%27w%245%267%2Fz8%29%3F', { 'my weird field': 'q1!2"\'w$5&7/z8)?' }],
    ['a=b&pid%3D1234=1023', { 'pid=1234': '1023', a: 'b' }],
    ['foo[]', { foo: [null] }],
    ['foo[]=', { foo: [''] }],
    ['foo[]=bar', { foo: ['bar'] }],
    ['foo[]=bar&foo', { foo: null }],
    ['foo[]=bar&foo[', { foo: ['bar'], 'foo[': null }],
    ['foo[]=bar&foo[=baz', { foo: ['bar'], 'foo[': 'baz' }],
    ['foo[]=1&foo[]=2', { foo: ['1', '2'] }],
    ['foo=bar&baz[]=1&baz[]=2&baz[]=3', { foo: 'bar', baz: ['1', '2', '3'] }],
    ['x[y][z]=1', { x: { y: { z: '1' } } }],
    ['x[y][z][]=1', { x: { y: { z: ['1'] } } }],
    ['x[y][z]=1&x[y][z]=2', { x: { y: { z: '2' } } }],
    ['x[y][z][]=1&x[y][z][]=2', { x: { y: { z: ['1', '2'] } } }],
    ['x[y][][z]=1', { x: { y: [{ z: '1' }] } }],
    ['x[y][][z][]=1', { x: { y: [{ z: ['1'] }] } }],
    ['x[y][][z]=1&x[y][][w]=2', { x: { y: [{ z: '1', w: '2' }] } }],
    ['x[y][][v][w]=1', { x: { y: [{ v: { w: '1' } }] } }],
    ['x[y][][z]=1&x[y][][v][w]=2', { x: { y: [{ z: '1', v: { w: '2' } }] } }],
    ['x[y][][z]=1&x[y][][z]=2', { x: { y: [{ z: '1' }, { z: '2' }] } }],
    ['x[y][][z]=1&x[y][][w]=a&x[y][][z]=2&x[y][][w]=3', { x: { y: [{ z: '1', w: 'a' }, { z: '2', w: '3' }] } }],
    ['x[][y]=1&x[][z][w]=a&x[][y]=2&x[][z][w]=b', { x: [{ y: '1', z: { w: 'a' } }, { y: '2', z: { w: 'b' } }] }],
    ['page[size]=100&page[after]=abc', { page: { size: '100', after: 'abc' } }],
    ['[]=1', {}],
    ['[a]=1', { a: '1' }],
  ];
  for (const [qs, want] of table) {
    it(JSON.stringify(qs), () => {
      expect(plain(parseNestedQuery(qs))).toEqual(want);
    });
  }

  it('refuses conflicting shapes, as Rack does (Rails answers 400)', () => {
    for (const qs of ['x[y]=1&x[y]z=2', 'x[y]=1&x[]=1', 'x[y]=1&x[y][][w]=2', 'filter[created_at]=A&filter[created_at][]=B', 'x=1&x[y]=2']) {
      expect(() => parseNestedQuery(qs), qs).toThrow(RackParameterError);
    }
    expect(() => parseNestedQuery('x[y]=1&x[]=1')).toThrow("expected Array (got Hash) for param `x'");
    expect(() => parseNestedQuery('a=%E0%A4%A')).toThrow(RackParameterError);
  });

  it('keeps keys like __proto__ as plain data', () => {
    const p = parseNestedQuery('__proto__[x]=1&constructor=2');
    expect(dig(p, '__proto__', 'x')).toBe('1');
    expect(p.constructor).toBe('2');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('scalar() tells a single value from an array or hash', () => {
    const p = parseNestedQuery('filter[action]=login&filter[source_type][]=user&sort=&page[size]=5');
    expect(scalar(p, 'filter', 'action')).toBe('login');
    expect(scalar(p, 'filter', 'source_type')).toEqual({ shape: 'array' });
    expect(scalar(p, 'filter')).toEqual({ shape: 'hash' });
    expect(scalar(p, 'sort')).toBe('');
    expect(scalar(p, 'filter', 'ip_address')).toBeUndefined();
    expect(scalar(p, 'page', 'size')).toBe('5');
  });
});
