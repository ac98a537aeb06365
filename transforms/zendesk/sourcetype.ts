// The sourcetype suggested to sinks for a Zendesk stream: one table, used by the schema
// transforms (meta.sourcetype) and by the Splunk HEC sink when an event carries none.

/** E.g. "zendesk:audit" (raw) or "zendesk:audit:ocsf". */
export function sourcetypeOf(stream: string, schema: 'ocsf' | 'ecs' | 'raw'): string {
  const base = stream === 'audit_log' ? 'zendesk:audit' : stream === 'access_log' ? 'zendesk:access' : `zendesk:${stream}`;
  return schema === 'raw' ? base : `${base}:${schema}`;
}
