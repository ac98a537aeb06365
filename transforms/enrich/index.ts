// Enrichment: parsed change values (already computed when the record is prepared) plus the
// risk verdict. Stateful only through the IP memory, which lives as long as the transform.

import type { Prepared } from '../zendesk/prepare.js';
import type { ParsedChange } from './patterns.js';
import { DeletionMemory } from './deletion-memory.js';
import { IpMemory } from './ip-memory.js';
import { evaluateRisk, type RiskRule, type RuleInput } from './rules.js';

export interface Enrichment {
  /** Parsed before/after values to publish; empty when enrichment is off. */
  changes: ParsedChange[];
  severityId: number;
  riskScore: number;
  rules: RiskRule[];
}

export interface EnrichOptions {
  enabled: boolean;
  newIpWindowMs: number;
  newIpMaxUsers: number;
  /** Deletions by one actor within `massDeletionWindowMs` (event time) that make a mass deletion. */
  massDeletionCount: number;
  massDeletionWindowMs: number;
}

export type Enricher = (p: Prepared, account: string) => Enrichment;

const NONE: Enrichment = Object.freeze({ changes: [], severityId: 1, riskScore: 0, rules: [] }) as Enrichment;

export function createEnricher(opts: EnrichOptions): Enricher {
  if (!opts.enabled) return () => NONE;
  const memory = new IpMemory({ windowMs: opts.newIpWindowMs, maxUsers: opts.newIpMaxUsers });
  const deletions = new DeletionMemory({ windowMs: opts.massDeletionWindowMs, maxActors: 100_000 });
  return (p, account) => {
    const input: RuleInput = { stream: p.stream, changes: [] };
    if (p.stream === 'audit_log') {
      input.audit = p.audit;
      input.cls = p.cls;
      input.changes = p.changes;
      // Only successful sign-ins teach the memory; a failed one from a new IP is its own rule.
      const user = p.audit.sourceType === 'user' ? (p.audit.sourceId ?? p.audit.actorId) : p.audit.actorId;
      if (p.cls.kind === 'sign_in' && p.cls.outcome !== 'failure' && p.audit.ip && user) {
        input.ipSighting = memory.observe(`${account}:${user}`, p.audit.ip, p.audit.time);
      }
    } else if (p.stream === 'webhook') {
      input.changes = p.changes; // role_change, suspension, identity, password, user_deleted: the audit log's rules apply as they are
    } else if (p.stream === 'access_log') {
      input.access = p.access;
    } else if (p.stream === 'deleted_ticket') {
      const d = p.deleted;
      const actor = d.actorId ?? d.actorName;
      if (actor !== undefined) input.massDeletion = deletions.observe(`${account}:${actor}`, `${d.ticketId}:${d.time}`, d.time) >= opts.massDeletionCount;
    }
    const risk = evaluateRisk(input);
    return { changes: input.changes, severityId: risk.severityId, riskScore: risk.riskScore, rules: risk.rules };
  };
}

/** The label convention shared by OCSF (`metadata.labels`) and ECS (`tags`): "risk:<rule id>". */
export function riskLabels(e: Enrichment): string[] {
  return e.rules.map((r) => `risk:${r.id}`);
}
