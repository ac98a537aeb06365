// ECS 9.4.0 building blocks shared by the three mappers: the base document, risk fields,
// related.* collection and source geo. Documents are nested objects (as Elasticsearch stores
// them); Zendesk specifics live under the custom `zendesk.*` namespace.

import { changeData } from '../ocsf/common.js';
import type { Enrichment } from '../enrich/index.js';
import { riskLabels } from '../enrich/index.js';
import { defined, locationParts, type Raw } from '../zendesk/fields.js';

export const ECS_VERSION = '9.4.0';

export type Outcome = 'success' | 'failure' | 'unknown';

export interface EcsBaseInput {
  id: string;
  account: string;
  stream: string;
  time: number;
  category: string[];
  type: string[];
  action: string;
  outcome?: Outcome;
  message?: string;
  reference?: string;
  enrichment: Enrichment;
  enriched: boolean;
}

export function ecsBase(b: EcsBaseInput): Raw {
  const event: Raw = {
    kind: 'event',
    category: b.category,
    type: b.type,
    action: b.action,
    module: 'zendesk',
    dataset: `zendesk.${b.stream}`,
    provider: b.stream,
    id: b.id,
  };
  if (b.outcome) event.outcome = b.outcome;
  if (b.reference) event.reference = b.reference;
  if (b.enriched) {
    event.severity = b.enrichment.severityId;
    event.risk_score = b.enrichment.riskScore;
  }
  const out: Raw = {
    '@timestamp': new Date(b.time).toISOString(),
    ecs: { version: ECS_VERSION },
    event,
    observer: { vendor: 'Zendesk', product: 'Zendesk Support' },
  };
  if (b.message) out.message = b.message;
  const tags = riskLabels(b.enrichment);
  if (tags.length > 0) out.tags = tags;
  return out;
}

/** `zendesk.risk` and `zendesk.changes`: the enrichment details ECS has no fields for. */
export function zendeskEnrichment(e: Enrichment): Raw | undefined {
  const z: Raw = {};
  if (e.changes.length > 0) z.changes = e.changes.map((c) => ({ pattern: c.pattern, ...changeData(c) }));
  if (e.rules.length > 0) {
    z.risk = { rules: e.rules.map((r) => defined([['id', r.id], ['title', r.title], ['severity', r.severityId], ['score', r.riskScore], ['mitre_technique', r.mitre]])) };
  }
  return Object.keys(z).length > 0 ? z : undefined;
}

/** Collects related.ip / related.user without duplicates. */
export class Related {
  private readonly ips = new Set<string>();
  private readonly users = new Set<string>();
  ip(v: string | undefined): this {
    if (v) this.ips.add(v);
    return this;
  }
  user(...vs: (string | undefined)[]): this {
    for (const v of vs) if (v) this.users.add(v);
    return this;
  }
  toEcs(): Raw | undefined {
    const r: Raw = {};
    if (this.ips.size > 0) r.ip = [...this.ips];
    if (this.users.size > 0) r.user = [...this.users];
    return Object.keys(r).length > 0 ? r : undefined;
  }
}

/** ECS geo fields from Zendesk's "City, Region, Country" text (and coordinates when given). */
export function geoOf(location: string | undefined, lat?: number, lon?: number): Raw | undefined {
  if (!location) return undefined;
  const p = locationParts(location);
  const g: Raw = { name: location };
  if (p.city) g.city_name = p.city;
  if (p.region) g.region_name = p.region;
  if (p.country) g.country_name = p.country;
  if (lat !== undefined && lon !== undefined) g.location = { lat, lon };
  return g;
}

/** ECS user fields of a Zendesk user; -1 is Zendesk's own system actor. */
export function ecsUser(id: string | undefined, name: string | undefined): Raw | undefined {
  const u: Raw = {};
  if (id !== undefined) u.id = id;
  if (name !== undefined) u.name = name;
  return Object.keys(u).length > 0 ? u : undefined;
}
