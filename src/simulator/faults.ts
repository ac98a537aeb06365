// Fault injection: deterministic, per endpoint, "on the Nth request". Each rule counts the
// requests that match its endpoint from the moment it is installed, so a test can say
// "the 3rd audit-log request after this point gets two 503s" without knowing earlier traffic.

import type { EndpointName, StreamName } from './types.js';

export type FaultKind =
  /** Server errors (status 500 by default; 502/503/504 possible; optional Retry-After). */
  | '5xx'
  /** A 429 regardless of the budget (a "429 storm" when count > 1). */
  | '429'
  /** Delay the response by delayMs (real time), e.g. for client timeout tests. */
  | 'slow'
  /** 200 with a truncated JSON body. */
  | 'malformed'
  /** Start the page `repeat` records early, re-sending the tail of the previous page. */
  | 'repeat'
  /** Before answering, append `late.count` records dated `late.ageSeconds` in the past. */
  | 'late'
  /** Destroy the socket without answering. */
  | 'disconnect'
  /** 200 with an HTML page (a login page or proxy notice served with the wrong status). */
  | 'html200'
  /** 302 to another host (`location`, default https://redirect.invalid/ + the request path). */
  | 'redirect';

export interface FaultRule {
  /** Endpoint the rule applies to; '*' (default) for all. */
  endpoint?: EndpointName | '*';
  kind: FaultKind;
  /** First request (1-based, counted from when the rule is installed) that the rule affects. Default 1. */
  onRequest?: number;
  /** How many consecutive matching requests are affected. Default 1; Infinity for all. */
  count?: number;
  /** '5xx': the status. Default 500. */
  status?: 500 | 502 | 503 | 504;
  /** '5xx' and '429': Retry-After seconds (for '429' default: until the budget window resets, at least 1). */
  retryAfter?: number;
  /** 'slow': delay in ms. Default 2000. */
  delayMs?: number;
  /** 'repeat': number of records re-sent. Default 5. */
  repeat?: number;
  /** 'redirect': absolute URL of the other host. Default https://redirect.invalid. */
  location?: string;
  /** 'late': what to append. Default 10 records, 300 s old. */
  late?: { count?: number; ageSeconds?: number; stream?: StreamName };
}

interface Armed {
  rule: FaultRule;
  seen: number;
  fired: number;
}

export interface FiredFault {
  rule: FaultRule;
  kind: FaultKind;
}

export class FaultEngine {
  private armed: Armed[] = [];

  constructor(rules: FaultRule[] = []) {
    this.set(rules);
  }

  set(rules: FaultRule[]): void {
    for (const r of rules) validate(r);
    this.armed = rules.map((rule) => ({ rule, seen: 0, fired: 0 }));
  }

  add(rule: FaultRule): void {
    validate(rule);
    this.armed.push({ rule, seen: 0, fired: 0 });
  }

  clear(): void {
    this.armed = [];
  }

  get rules(): FaultRule[] {
    return this.armed.map((a) => a.rule);
  }

  /** Counts this request against every matching rule and returns the ones that fire for it. */
  next(endpoint: EndpointName): FiredFault[] {
    const out: FiredFault[] = [];
    for (const a of this.armed) {
      const target = a.rule.endpoint ?? '*';
      if (target !== '*' && target !== endpoint) continue;
      a.seen++;
      const first = a.rule.onRequest ?? 1;
      const count = a.rule.count ?? 1;
      if (a.seen >= first && a.seen < first + count) {
        a.fired++;
        out.push({ rule: a.rule, kind: a.rule.kind });
      }
    }
    return out;
  }
}

const KINDS: readonly FaultKind[] = ['5xx', '429', 'slow', 'malformed', 'repeat', 'late', 'disconnect', 'html200', 'redirect'];

function validate(r: FaultRule): void {
  if (!KINDS.includes(r.kind)) throw new Error(`unknown fault kind "${String(r.kind)}" (expected one of ${KINDS.join(', ')})`);
  if (r.onRequest !== undefined && (!Number.isInteger(r.onRequest) || r.onRequest < 1)) throw new Error('fault onRequest must be an integer >= 1');
  if (r.count !== undefined && !(r.count >= 1)) throw new Error('fault count must be >= 1');
}

/**
 * Parses the CLI form `endpoint:kind[:key=value,...]`, e.g. `audit_logs:5xx:status=503,count=3,retryAfter=2`,
 * `*:slow:delayMs=1500`, `ticket_events:late:count=20,ageSeconds=600`.
 */
export function parseFaultSpec(spec: string): FaultRule {
  const [endpoint, kind, params] = spec.split(':', 3) as [string, string | undefined, string | undefined];
  if (!kind) throw new Error(`fault "${spec}": expected endpoint:kind[:key=value,...]`);
  const endpoints = ['*', 'audit_logs', 'audit_log', 'ticket_events', 'access_logs'];
  if (!endpoints.includes(endpoint)) throw new Error(`fault "${spec}": unknown endpoint "${endpoint}" (expected one of ${endpoints.join(', ')})`);
  const rule: FaultRule = { endpoint: endpoint as FaultRule['endpoint'], kind: kind as FaultKind };
  const late: NonNullable<FaultRule['late']> = {};
  for (const kv of (params ?? '').split(',').filter(Boolean)) {
    const [k, v] = kv.split('=', 2) as [string, string | undefined];
    const n = v === 'Infinity' ? Infinity : Number(v);
    if (v === undefined || Number.isNaN(n)) throw new Error(`fault "${spec}": "${kv}" is not key=number`);
    switch (k) {
      case 'on':
      case 'onRequest':
        rule.onRequest = n;
        break;
      case 'count':
        if (kind === 'late') late.count = n;
        else rule.count = n;
        break;
      case 'times':
        rule.count = n;
        break;
      case 'status':
        rule.status = n as FaultRule['status'];
        break;
      case 'retryAfter':
        rule.retryAfter = n;
        break;
      case 'delayMs':
        rule.delayMs = n;
        break;
      case 'repeat':
        rule.repeat = n;
        break;
      case 'ageSeconds':
        late.ageSeconds = n;
        break;
      default:
        throw new Error(`fault "${spec}": unknown parameter "${k}"`);
    }
  }
  if (kind === 'late') rule.late = late;
  validate(rule);
  return rule;
}
