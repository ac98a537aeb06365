// The risk rules: which Zendesk events a SOC wants to see flagged, with their severity (OCSF
// 0..6 scale) and a 0..100 risk score. One table; each rule has a positive and a negative test.

import type { ParsedChange } from './patterns.js';
import { isAdminRole, SOURCE_TYPES, type AuditClass, type AuditLog } from '../zendesk/audit-log.js';
import type { AccessLog } from '../zendesk/access-log.js';

export interface RuleInput {
  stream: string;
  audit?: AuditLog;
  cls?: AuditClass;
  changes: ParsedChange[];
  access?: AccessLog;
  /** Set by the IP memory for successful sign-ins. */
  ipSighting?: 'first_sighting' | 'known_ip' | 'new_ip';
  /** Set by the deletion memory: this actor's deletions within the window reached the threshold. */
  massDeletion?: boolean;
}

export interface RiskRule {
  id: string;
  title: string;
  /** OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical. */
  severityId: 1 | 2 | 3 | 4 | 5;
  riskScore: number;
  /** MITRE ATT&CK technique, for the analyst. */
  mitre?: string;
  test(input: RuleInput): boolean;
}

const SECURITY_SETTING = /two[- ]?factor|\b2fa\b|\bmfa\b|single sign[- ]?on|\bsso\b|\bsaml\b|\bjwt\b|sign[- ]?in|password|ip restriction|ip range|allowed ip|allowlist|blocklist|whitelist|blacklist|api access|access for the api|token access|session|security|mobile app access|authenticat|remote auth|assum|access log|audit log/i;

/** An audit-log "Email changed from a to b" on a user: the primary identity. */
const EMAIL_FIELD = /^(primary )?e-?mail( address)?$/i;

const has = (i: RuleInput, pattern: string) => i.changes.some((c) => c.pattern === pattern);
const family = (i: RuleInput) => (i.audit ? SOURCE_TYPES[i.audit.sourceType]?.family : undefined);

export const RISK_RULES: readonly RiskRule[] = [
  {
    id: 'role_elevated_admin',
    title: 'Role raised to Administrator or Account Owner',
    severityId: 4,
    riskScore: 73,
    mitre: 'T1098',
    test: (i) => i.changes.some((c) => c.pattern === 'role_change' && isAdminRole(c.after) && !isAdminRole(c.before)),
  },
  {
    id: 'account_owner_changed',
    title: 'Account owner changed',
    severityId: 4,
    riskScore: 73,
    mitre: 'T1078',
    test: (i) => has(i, 'owner_change'),
  },
  {
    id: 'api_token_created',
    title: 'API token created',
    severityId: 4,
    riskScore: 73,
    mitre: 'T1528',
    test: (i) => family(i) === 'credential' && i.audit?.action === 'create',
  },
  {
    id: 'user_assumption',
    title: 'User assumption (impersonation) used or its settings changed',
    severityId: 3,
    riskScore: 47,
    mitre: 'T1550',
    test: (i) => has(i, 'user_assumption'),
  },
  {
    id: 'mfa_sso_disabled',
    title: 'Two-factor authentication or single sign-on turned off',
    severityId: 4,
    riskScore: 73,
    mitre: 'T1556',
    test: (i) => i.changes.some((c) => (c.pattern === 'two_factor' || c.pattern === 'sso') && c.after === false),
  },
  {
    id: 'security_settings_changed',
    title: 'Security setting changed (2FA, SSO, sign-in, passwords, IP restrictions, API access, sessions, access/audit logging)',
    severityId: 3,
    riskScore: 47,
    mitre: 'T1556',
    test: (i) =>
      has(i, 'two_factor') ||
      has(i, 'sso') ||
      ((family(i) === 'setting' || family(i) === 'account') && SECURITY_SETTING.test(`${i.audit?.sourceLabel ?? ''} ${i.audit?.changeDescription ?? ''}`)),
  },
  {
    id: 'redaction_disabled',
    title: 'Sensitive-data redaction turned off',
    severityId: 4,
    riskScore: 73,
    mitre: 'T1213',
    test: (i) => i.changes.some((c) => c.pattern === 'redaction' && c.after === false),
  },
  {
    id: 'data_export',
    title: 'Data exported from Zendesk',
    severityId: 3,
    riskScore: 47,
    mitre: 'T1567',
    test: (i) => i.cls?.kind === 'export',
  },
  {
    id: 'failed_sign_in',
    title: 'Failed sign-in',
    severityId: 2,
    riskScore: 21,
    mitre: 'T1110',
    test: (i) => i.cls?.kind === 'sign_in' && i.cls.outcome === 'failure',
  },
  {
    id: 'new_ip_sign_in',
    title: 'Sign-in from an IP not seen for this user within the memory window',
    severityId: 3,
    riskScore: 47,
    mitre: 'T1078',
    test: (i) => i.ipSighting === 'new_ip',
  },
  {
    id: 'user_suspension_changed',
    title: 'User suspended or unsuspended',
    severityId: 2,
    riskScore: 21,
    mitre: 'T1531',
    test: (i) => has(i, 'suspension'),
  },
  {
    id: 'user_deleted',
    title: 'User deleted',
    severityId: 3,
    riskScore: 47,
    mitre: 'T1531',
    // Audit log: a user record destroyed; webhook: user.deleted (its changes carry `user_deleted`).
    test: (i) => has(i, 'user_deleted') || (i.cls?.kind === 'account' && i.cls.activity === 'delete'),
  },
  {
    id: 'user_identity_changed',
    title: "A user's sign-in identity (email, phone, social account) or password added, changed or removed",
    severityId: 2,
    riskScore: 21,
    mitre: 'T1098',
    // Whoever controls a user's email or password can reset and take over the account.
    test: (i) =>
      has(i, 'identity') ||
      has(i, 'password') ||
      (/^user/.test(i.audit?.sourceType ?? '') && i.changes.some((c) => c.pattern === 'field_change' && EMAIL_FIELD.test(c.field))),
  },
  {
    id: 'mass_ticket_deletion',
    title: 'Many tickets deleted by one user within a short time',
    severityId: 4,
    riskScore: 73,
    mitre: 'T1485',
    test: (i) => i.massDeletion === true,
  },
  {
    id: 'access_denied',
    title: 'API request denied (401/403)',
    severityId: 2,
    riskScore: 21,
    test: (i) => i.access?.status === 401 || i.access?.status === 403,
  },
];

export interface Risk {
  severityId: number;
  riskScore: number;
  rules: RiskRule[];
}

export function evaluateRisk(input: RuleInput, rules: readonly RiskRule[] = RISK_RULES): Risk {
  const hit = rules.filter((r) => r.test(input));
  return {
    severityId: hit.reduce((m, r) => Math.max(m, r.severityId), 1),
    riskScore: hit.reduce((m, r) => Math.max(m, r.riskScore), 0),
    rules: hit,
  };
}
