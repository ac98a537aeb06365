// The one table of known `change_description` patterns of the Zendesk account audit log.
// Each entry turns the free text into structured before/after values. The first entry that
// matches wins, so specific patterns come before the generic ones. Mappers use the result to
// pick OCSF activities; enrichment uses it for risk rules. Every entry has a test.

export interface ChangeInput {
  changeDescription: string;
  sourceType: string;
  sourceLabel?: string;
  action: string;
}

export interface ParsedChange {
  /** Id of the table entry that matched. */
  pattern: string;
  /** What changed, e.g. "role", "Support role", "two_factor", or the setting name. */
  field: string;
  before?: string | boolean;
  after?: string | boolean;
  /** Extra named parts (sign-in method and location). */
  details?: Record<string, string>;
}

export interface ChangePattern {
  id: string;
  description: string;
  /** One real-looking input, used by the docs and the tests. */
  example: ChangeInput;
  parse(input: ChangeInput): ParsedChange[] | undefined;
}

const TOGGLE_ON = /^(enabled|turned on|on|activated|active|true|yes|allowed|required)$/i;
const TOGGLE_OFF = /^(disabled|turned off|off|deactivated|inactive|false|no|not allowed|not required|optional|not set)$/i;

/** true/false for words like Enabled/Disabled/on/off, undefined otherwise. */
export function toggleValue(word: string | undefined): boolean | undefined {
  if (word === undefined) return undefined;
  const w = word.trim().replace(/\.$/, '');
  if (TOGGLE_ON.test(w)) return true;
  if (TOGGLE_OFF.test(w)) return false;
  return undefined;
}

/**
 * Reads an on/off change from text such as "Disabled", "Two-factor authentication enabled",
 * "changed from off to on" or "Turned off".
 */
export function toggleOf(text: string, valueOf: (word: string) => boolean | undefined = toggleValue): { before?: boolean; after: boolean } | undefined {
  const fromTo = /changed from (.+?) to (.+)$/i.exec(text);
  if (fromTo) {
    const after = valueOf(fromTo[2]!);
    if (after !== undefined) return { before: valueOf(fromTo[1]!), after };
  }
  const m = /\b(enabled|disabled|turned on|turned off|activated|deactivated)\b/i.exec(text);
  if (m) {
    const after = toggleValue(m[1])!;
    return { before: !after, after };
  }
  const whole = toggleValue(text);
  return whole === undefined ? undefined : { before: !whole, after: whole };
}

/**
 * SSO settings name the sign-in method rather than on/off: "changed from SAML to Zendesk
 * authentication" turns single sign-on off.
 */
export function ssoValue(word: string): boolean | undefined {
  const t = toggleValue(word);
  if (t !== undefined) return t;
  if (/saml|jwt|google|microsoft|apple|okta|azure|entra|openid|oidc|\bsso\b|single sign/i.test(word)) return true;
  if (/zendesk|password|native|none|email/i.test(word)) return false;
  return undefined;
}

const subjectOf = (i: ChangeInput) => `${i.sourceLabel ?? ''} ${i.changeDescription}`;

const SETTING_SOURCES = /^(account_setting|account_settings|security_setting|security_settings|account|user_setting|brand_setting)$/;

/**
 * Setting patterns (2FA, SSO, redaction...) share this shape: a subject regex, and either an
 * on/off word in the description or a settings source type (so that a user merely *named*
 * "SAML Bot" does not look like an SSO change).
 */
function settingToggle(field: string, subject: RegExp, valueOf: (word: string) => boolean | undefined = toggleValue) {
  return (i: ChangeInput): ParsedChange[] | undefined => {
    if (!subject.test(subjectOf(i))) return undefined;
    const t = toggleOf(i.changeDescription, valueOf);
    if (t) return [{ pattern: field, field, before: t.before, after: t.after }];
    if (!SETTING_SOURCES.test(i.sourceType)) return undefined;
    if (i.action === 'destroy') return [{ pattern: field, field, before: true, after: false }];
    if (i.action === 'create') return [{ pattern: field, field, after: true }];
    return [{ pattern: field, field, after: i.changeDescription || undefined }];
  };
}

export const CHANGE_PATTERNS: readonly ChangePattern[] = [
  {
    id: 'sign_in',
    description: 'Sign-in result, method and location: "Successful sign-in using Zendesk from San Francisco, CA, United States"',
    example: { changeDescription: 'Failed sign-in using Google from 203.0.113.7', sourceType: 'user', sourceLabel: 'Jane', action: 'login' },
    parse(i) {
      const d = i.changeDescription.trim();
      if (/^signed in\.?$/i.test(d)) return [{ pattern: 'sign_in', field: 'sign_in', after: 'success' }];
      const m = /^(successful|failed|unsuccessful)\s+sign[- ]?in(?:\s+using\s+(.+?))?(?:\s+from\s+(.+?))?\.?$/i.exec(d);
      if (!m) return undefined;
      const details: Record<string, string> = {};
      if (m[2]) details.method = m[2];
      if (m[3]) details.location = m[3];
      return [{ pattern: 'sign_in', field: 'sign_in', after: /^success/i.test(m[1]!) ? 'success' : 'failure', details }];
    },
  },
  {
    id: 'role_change',
    description: 'Role change, one per line, optionally per product: "Role changed from Agent to Administrator", "Guide role changed from Viewer to Manager"',
    example: { changeDescription: 'Role changed from Agent to Administrator', sourceType: 'user', sourceLabel: 'John Doe', action: 'update' },
    parse(i) {
      const out: ParsedChange[] = [];
      for (const line of i.changeDescription.split(/\r?\n/)) {
        const m = /^\s*(?:(.+?)\s+)?role changed from (.+?) to (.+?)\s*$/i.exec(line);
        if (!m) continue;
        out.push({ pattern: 'role_change', field: m[1] ? `${m[1]} role` : 'role', before: m[2], after: m[3] });
      }
      return out.length > 0 ? out : undefined;
    },
  },
  {
    id: 'owner_change',
    description: 'Account owner change: "Owner changed from Bob Cat to Mountain Lion"',
    example: { changeDescription: 'Owner changed from Bob Cat to Mountain Lion', sourceType: 'account', sourceLabel: 'Account: Account', action: 'update' },
    parse(i) {
      const m = /^\s*(?:account\s+)?owner changed from (.+?) to (.+?)\s*$/i.exec(i.changeDescription);
      return m ? [{ pattern: 'owner_change', field: 'owner', before: m[1], after: m[2] }] : undefined;
    },
  },
  {
    id: 'suspension',
    description: 'User suspension: "Suspended" / "Unsuspended" (source_label "Suspension state: <user>")',
    example: { changeDescription: 'Suspended', sourceType: 'user_setting', sourceLabel: 'Suspension state: Bob Cat', action: 'create' },
    parse(i) {
      const d = i.changeDescription.trim();
      const aboutSuspension = /suspension/i.test(i.sourceLabel ?? '');
      const m = /^(un)?suspended\.?$/i.exec(d) ?? (aboutSuspension || /^user/.test(i.sourceType) ? /\b(un)?suspended\b/i.exec(d) : null);
      if (m) return [{ pattern: 'suspension', field: 'suspended', before: !!m[1], after: !m[1] }];
      const t = aboutSuspension ? toggleOf(d) : undefined;
      return t ? [{ pattern: 'suspension', field: 'suspended', before: t.before, after: t.after }] : undefined;
    },
  },
  {
    id: 'password',
    description: 'Password change or reset of a user: "Password changed", "Password reset"',
    example: { changeDescription: 'Password changed', sourceType: 'user', sourceLabel: 'Jane', action: 'update' },
    parse(i) {
      // A user's own password; account password *settings* (policy, security level) are settings.
      if (!/^user/.test(i.sourceType)) return undefined;
      const d = i.changeDescription;
      const m = /\bpassword\b.*?\b(changed|reset|updated|set)\b|\b(changed|reset|updated|set)\b.*?\bpassword\b/i.exec(d);
      if (!m) return undefined;
      const verb = (m[1] ?? m[2] ?? '').toLowerCase();
      return [{ pattern: 'password', field: 'password', after: verb === 'reset' ? 'reset' : 'changed' }];
    },
  },
  {
    id: 'two_factor',
    description: '2FA setting: source_label "Two-Factor authentication for all admins and agents" / "Require Two Factor" with "Enabled"/"Disabled"',
    example: { changeDescription: 'Disabled', sourceType: 'account_setting', sourceLabel: 'Two-Factor authentication for all admins and agents', action: 'update' },
    parse: settingToggle('two_factor', /two[- ]?factor|\b2fa\b|multi[- ]?factor|\bmfa\b/i),
  },
  {
    id: 'sso',
    description: 'Single sign-on setting (SAML, JWT, Google/Microsoft sign-in): "Single sign-on: SAML" with "Enabled"/"Disabled", or "changed from SAML to Zendesk authentication" (off)',
    example: { changeDescription: 'Disabled', sourceType: 'account_setting', sourceLabel: 'Single sign-on (SSO): SAML', action: 'update' },
    parse: settingToggle('sso', /single sign[- ]?on|\bsso\b|\bsaml\b|\bjwt\b|sign[- ]?in with (google|microsoft|apple)|social sign[- ]?in/i, ssoValue),
  },
  {
    id: 'redaction',
    description: 'Sensitive-data redaction settings: source_label "Credit Card Redaction" with "Enabled"/"Disabled"',
    example: { changeDescription: 'Disabled', sourceType: 'account_setting', sourceLabel: 'Credit Card Redaction', action: 'create' },
    parse: settingToggle('redaction', /redact/i),
  },
  {
    id: 'user_assumption',
    description: 'User assumption (impersonation) settings or use: source_label "Account Assumption" / "Assumption duration", or "assumed <user>"',
    example: { changeDescription: 'Changed', sourceType: 'account_setting', sourceLabel: 'Account Assumption', action: 'update' },
    parse: settingToggle('user_assumption', /\bassum(?:e|ed|ption|ing)\b/i),
  },
  {
    id: 'field_change',
    description: 'Generic "<field> changed from <A> to <B>": "description changed from not set to SIEM"',
    example: { changeDescription: 'Name changed from Tier 1 to Tier 2', sourceType: 'group', sourceLabel: 'Tier 2', action: 'update' },
    parse(i) {
      const m = /^\s*(.+?) changed from (.*?) to (.*?)\s*$/is.exec(i.changeDescription);
      if (!m) return undefined;
      // "Active changed from true to false" is an on/off change; keep other values as text.
      const b = toggleValue(m[2]);
      const a = toggleValue(m[3]);
      if (a !== undefined && b !== undefined) return [{ pattern: 'field_change', field: m[1]!, before: b, after: a }];
      return [{ pattern: 'field_change', field: m[1]!, before: m[2], after: m[3] }];
    },
  },
  {
    id: 'toggle',
    description: 'A bare on/off change of the item named by source_label: "Enabled", "Disabled", "Turned off"',
    example: { changeDescription: 'Enabled', sourceType: 'account_setting', sourceLabel: 'Zendesk Support Mobile App Access', action: 'update' },
    parse(i) {
      const t = toggleValue(i.changeDescription);
      if (t === undefined) return undefined;
      return [{ pattern: 'toggle', field: i.sourceLabel ?? i.sourceType, before: !t, after: t }];
    },
  },
];

/** Parses a change description with the first matching table entry; [] when none matches. */
export function parseChange(input: ChangeInput): ParsedChange[] {
  for (const p of CHANGE_PATTERNS) {
    const r = p.parse(input);
    if (r) return r;
  }
  return [];
}
