// Record shapes served by the simulator, and the names used to target streams and endpoints.

/** One account audit log entry, fields as on https://developer.zendesk.com/api-reference/ticketing/account-configuration/audit_logs/ */
export interface AuditLogRecord {
  action: 'create' | 'destroy' | 'exported' | 'login' | 'update';
  action_label: string;
  actor_id: number;
  actor_name: string;
  change_description: string;
  created_at: string;
  id: number;
  ip_address: string | null;
  source_id: number;
  source_label: string;
  source_type: string;
  url: string;
}

export interface Via {
  channel: string;
  source: { from: Record<string, unknown>; to: Record<string, unknown>; rel: string | null };
}

/** A child event of a ticket event (Create, Change, Comment, Notification, ...); shape varies by `event_type`. */
export interface TicketChildEvent {
  id: number;
  event_type: string;
  [field: string]: unknown;
}

/** One incremental ticket event (an audit), per examples/incremental_ticket_events.page.json. */
export interface TicketEventRecord {
  id: number;
  ticket_id: number;
  timestamp: number;
  created_at: string;
  updater_id: number;
  via: Via;
  system: {
    client: string | null;
    ip_address: string | null;
    location: string | null;
    latitude: number | null;
    longitude: number | null;
  };
  event_type: 'Audit';
  merged_ticket_ids: number[];
  child_events: TicketChildEvent[];
}

/** One access log entry, fields as on https://developer.zendesk.com/api-reference/ticketing/account-configuration/access_logs/ */
export interface AccessLogRecord {
  authorization_type: string;
  bytes_sent: number;
  category: string;
  client: string;
  graphql?: { operation_name: string; operation_type: string; query: string; variables: string };
  id: string;
  ip_address: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  referer?: string;
  status: number;
  summary: string;
  timestamp: string;
  url: string;
  user_id: number;
}

/** One soft-deleted ticket, fields as on https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#list-deleted-tickets */
export interface DeletedTicketRecord {
  actor: { id: number; name: string };
  deleted_at: string;
  description: string;
  id: number;
  previous_state: string;
  subject: string;
}

export type StreamName = 'audit_logs' | 'ticket_events' | 'access_logs';
export const STREAMS: readonly StreamName[] = ['audit_logs', 'ticket_events', 'access_logs'];

export interface StreamRecordMap {
  audit_logs: AuditLogRecord;
  ticket_events: TicketEventRecord;
  access_logs: AccessLogRecord;
}

/** Routed endpoints. `audit_log` is the single-record GET /api/v2/audit_logs/{id}. */
export type EndpointName = 'audit_logs' | 'audit_log' | 'ticket_events' | 'access_logs' | 'deleted_tickets';
export const ENDPOINTS: readonly EndpointName[] = ['audit_logs', 'audit_log', 'ticket_events', 'access_logs', 'deleted_tickets'];
