// Events -> OpenTelemetry log records (the sdk-logs `ReadableLogRecord` shape the OTLP
// serializers take). The event body travels as a structured AnyValue map, never as a JSON string.

import type { HrTime } from '@opentelemetry/api';
import { SeverityNumber, type AnyValue, type LogAttributes } from '@opentelemetry/api-logs';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { PipelineEvent } from '../../core/types.js';

/**
 * OCSF severity_id (0..6, 99) -> OpenTelemetry SeverityNumber and text.
 * OCSF has no debug/trace levels; its scale starts at "Informational". Low and Medium are
 * things to look at (WARN, WARN2), High and Critical are errors (ERROR, ERROR2: Critical is
 * more severe within the same range), Fatal is FATAL. 0 Unknown and 99 Other carry no
 * comparable level, so they are UNSPECIFIED (the field is omitted on the wire).
 */
export const OCSF_TO_OTEL_SEVERITY: Record<number, { number: SeverityNumber; text: string }> = {
  0: { number: SeverityNumber.UNSPECIFIED, text: 'Unknown' },
  1: { number: SeverityNumber.INFO, text: 'Informational' },
  2: { number: SeverityNumber.WARN, text: 'Low' },
  3: { number: SeverityNumber.WARN2, text: 'Medium' },
  4: { number: SeverityNumber.ERROR, text: 'High' },
  5: { number: SeverityNumber.ERROR2, text: 'Critical' },
  6: { number: SeverityNumber.FATAL, text: 'Fatal' },
  99: { number: SeverityNumber.UNSPECIFIED, text: 'Other' },
};

/** The OCSF-scale severity of an event: meta.severity (set by transforms), else OCSF severity_id in the body. */
export function eventSeverity(e: PipelineEvent): number | undefined {
  if (typeof e.meta.severity === 'number') return e.meta.severity;
  if (e.meta.schema === 'ocsf' && typeof e.body.severity_id === 'number') return e.body.severity_id;
  return undefined;
}

function severityOf(e: PipelineEvent): { severityNumber?: SeverityNumber; severityText?: string } {
  const s = eventSeverity(e);
  if (s === undefined) return {};
  const m = OCSF_TO_OTEL_SEVERITY[s];
  if (!m) return {};
  // OCSF's own caption (e.g. "Other" with a source-specific `severity`) wins for the text.
  const text = e.meta.schema === 'ocsf' && typeof e.body.severity === 'string' && e.body.severity ? e.body.severity : m.text;
  return m.number === SeverityNumber.UNSPECIFIED ? { severityText: text } : { severityNumber: m.number, severityText: text };
}

export function msToHrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

export interface RecordEncoderOptions {
  serviceName: string;
  serviceVersion: string;
  resourceAttributes: Record<string, string | number | boolean>;
  scopeVersion: string;
  now?: () => number;
}

/**
 * Builds log records. One Resource object per Zendesk account (the serializer groups by
 * object identity, so each account becomes one ResourceLogs with `zendesk.account` set).
 */
export function createRecordEncoder(opts: RecordEncoderOptions): (events: PipelineEvent[]) => ReadableLogRecord[] {
  const resources = new Map<string, Resource>();
  const scope = { name: 'zendesk-siem-forwarder', version: opts.scopeVersion };
  const now = opts.now ?? Date.now;
  const resourceFor = (account: string): Resource => {
    let r = resources.get(account);
    if (!r) {
      r = resourceFromAttributes({
        ...opts.resourceAttributes,
        'service.name': opts.serviceName,
        'service.version': opts.serviceVersion,
        'zendesk.account': account,
      });
      resources.set(account, r);
    }
    return r;
  };
  return (events) => {
    const observed = msToHrTime(now());
    return events.map((e) => {
      const attributes: LogAttributes = {
        // Semantic conventions: log.record.uid is "a unique identifier for the Log Record";
        // our deterministic id lets a backend deduplicate at-least-once redeliveries.
        'log.record.uid': e.meta.id,
        'zendesk.account': e.meta.account,
        'zendesk.stream': e.meta.stream,
        'zsf.schema': e.meta.schema,
      };
      if (e.meta.classUid !== undefined) attributes['ocsf.class_uid'] = e.meta.classUid;
      if (e.meta.schema === 'ocsf' && typeof e.body.class_name === 'string') attributes['ocsf.class_name'] = e.body.class_name;
      if (e.meta.sourcetype) attributes['zsf.sourcetype'] = e.meta.sourcetype;
      return {
        hrTime: msToHrTime(e.meta.time),
        hrTimeObserved: observed,
        // EventName (LogRecord field 12) is where semantic conventions now put event.name.
        eventName: `zendesk.${e.meta.stream}`,
        ...severityOf(e),
        // A JSON object already is an AnyValue map (null becomes an empty AnyValue); no copy needed.
        body: e.body as AnyValue,
        resource: resourceFor(e.meta.account),
        instrumentationScope: scope,
        attributes,
        droppedAttributesCount: 0,
      } satisfies ReadableLogRecord;
    });
  };
}
