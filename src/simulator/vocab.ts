// Word pools for realistic records. Phrasings follow what Zendesk's docs and the seed articles show
// ("Role changed from Administrator to End User", "Signed in", "API token created", activity types
// Created/Updated/Deleted/Exported/Signed in, "rule" covering triggers/automations/macros/views);
// the rest imitates that "<setting> changed from <old> to <new>" style. Names are deliberately
// international (combining marks, CJK, RTL, quotes, commas) to exercise encoders and CSV writers.

export interface Person {
  id: number;
  name: string;
  email: string;
  role: 'admin' | 'agent';
  /** Usual addresses; a mix of IPv4 and IPv6. */
  ips: string[];
}

export const PERSON_NAMES: readonly string[] = [
  'Sameer Patel',
  'Zoë Ångström',
  '李小龙',
  'Ørjan Lindqvist',
  'José Müller-Núñez',
  'Αλέξανδρος Παπαδόπουλος',
  'Анастасия Иванова',
  'محمد الأحمد',
  'Siobhán Ó Briain',
  'Nguyễn Thị Minh Khai',
  '田中 太郎',
  'Björk Guðmundsdóttir',
  'Renée "Ops" O\'Connor',
  'Chloé Dubois',
  'Łukasz Żółć',
  'Søren Kierkegård',
  'Ana María Pérez, Jr.',
  'Dr. Amara Nwosu',
  'Kwame Mensah',
  '김민준',
  'Priya Raghunathan',
  'Jürgen Weiß',
  'Ayşe Yılmaz',
  'François-Xavier Lefèvre',
  'Mia Wong',
  'Hannah Schmidt',
  'Liam O’Neill',
  'Noah van der Berg',
  'Élodie Garçon',
  'Tomás Ó Ceallaigh',
  'Ingrid Nørgaard',
  'Rafael Ibáñez',
  'Olivia Kowalczyk',
  'Yuki Sato 佐藤',
  'Fatima Zahra Benali',
  'Zoë 🚀 Nightshift',
  'Emeka Okafor',
  'Camille Martin',
  'Matteo Rossi',
  'Sofía Gutiérrez',
];

export const ROLES: readonly string[] = ['End User', 'Agent', 'Light Agent', 'Team Lead', 'Administrator', 'Contributor'];

export const SIGN_IN_METHODS: readonly string[] = ['Zendesk', 'Google', 'Microsoft', 'SAML', 'JWT'];

export const ACCOUNT_SETTINGS: readonly { label: string; from: string; to: string }[] = [
  { label: 'Require two-factor authentication for agents and admins', from: 'Off', to: 'On' },
  { label: 'Two-factor authentication', from: 'Optional', to: 'Required' },
  { label: 'Session expiration', from: '8 hours', to: '30 minutes' },
  { label: 'Single sign-on (SSO) for team members', from: 'Zendesk authentication', to: 'SAML' },
  { label: 'Allow admins to set passwords', from: 'On', to: 'Off' },
  { label: 'Password security level', from: 'Medium', to: 'High' },
  { label: 'IP restrictions', from: 'Disabled', to: 'Enabled' },
  { label: 'Allowed IP ranges', from: '""', to: '"203.0.113.0/24 198.51.100.0/24 2001:db8::/32"' },
  { label: 'Password access for the API', from: 'Enabled', to: 'Disabled' },
  { label: 'Token access for the API', from: 'Disabled', to: 'Enabled' },
  { label: 'Assumption of end users by agents', from: 'Allowed', to: 'Not allowed' },
  { label: 'Access log API', from: 'Off', to: 'On' },
  { label: 'Advanced data privacy: redaction of credit card numbers', from: 'Off', to: 'On' },
  { label: 'Agent sign-in with Google', from: 'On', to: 'Off' },
];

export const API_TOKEN_LABELS: readonly string[] = [
  'SIEM forwarder',
  'Zapier integration',
  'Legacy sync — DO NOT DELETE',
  'Data warehouse nightly export',
  'Okta provisioning',
  'Support bot (staging)',
];

export const RULES: readonly { kind: string; title: string }[] = [
  { kind: 'Trigger', title: 'Notify requester and CCs of comment update' },
  { kind: 'Trigger', title: 'Notify assignee of assignment' },
  { kind: 'Trigger', title: 'Auto-assign VIP tickets to Tier 2' },
  { kind: 'Trigger', title: 'Notify requester of new proactive ticket' },
  { kind: 'Automation', title: 'Close ticket 4 days after status is set to solved' },
  { kind: 'Automation', title: 'Pending notification 24 hours' },
  { kind: 'Macro', title: 'Close and redirect to topics' },
  { kind: 'Macro', title: 'Downgrade and inform' },
  { kind: 'Macro', title: 'Customer not responding — 3rd reminder' },
  { kind: 'View', title: 'Your unsolved tickets' },
  { kind: 'View', title: 'Unassigned tickets' },
  { kind: 'View', title: 'Recently updated tickets' },
];

export const ORGANIZATIONS: readonly string[] = ['Acme Corp', 'Globex GmbH', 'Initech', 'Umbrella, Inc.', '株式会社サンプル', 'Société Générale de Test', 'Ørsted Wind A/S'];
export const GROUPS: readonly string[] = ['Support', 'Tier 2', 'Billing', 'Escalations', 'Trust & Safety', 'EMEA Nights'];
export const BRANDS: readonly string[] = ['Acme Help', 'Acme Business', 'Globex Support Center'];
export const TICKET_FIELDS: readonly string[] = ['Product area', 'Customer tier', 'Order number', 'Contact reason', 'Region'];
export const USER_FIELDS: readonly string[] = ['Employee ID', 'Cost center', 'Contract end date', 'Preferred language'];
export const APPS: readonly string[] = ['Slack', 'Jira', 'Shopify', 'Salesforce', 'Zendesk Guide Connector', 'Answer Bot'];
export const EXPORTS: readonly string[] = [
  'Full JSON export requested',
  'CSV export of tickets requested',
  'Audit log CSV export requested',
  'User list exported',
  'Access log exported via API',
];

const conditionsCache = new Map<number, string>();

/** Business-rule conditions long enough to stress sinks with large fields. */
export function longConditions(n: number): string {
  const hit = conditionsCache.get(n);
  if (hit !== undefined) return hit;
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    parts.push(`{"field":"custom_fields_${360000000000 + i * 7}","operator":"is","value":"tier_${i % 5}"}`);
  }
  const s = `Conditions changed from {"all":[{"field":"status","operator":"less_than","value":"solved"}],"any":[]} to {"all":[${parts.join(',')}],"any":[{"field":"via_id","operator":"is","value":"4"}]}`;
  conditionsCache.set(n, s);
  return s;
}

export const USER_AGENTS: readonly string[] = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
  'Zendesk/1.0',
  'Zendesk SIEM forwarder/1.0',
  'python-requests/2.32.3',
  'Zapier',
  'okhttp/4.12.0',
];

export const LOCATIONS: readonly { location: string; latitude: number; longitude: number }[] = [
  { location: 'San Francisco, CA, United States', latitude: 37.7749, longitude: -122.4194 },
  { location: 'Oslo, Oslo, Norway', latitude: 59.9139, longitude: 10.7522 },
  { location: 'Berlin, Land Berlin, Germany', latitude: 52.52, longitude: 13.405 },
  { location: 'Tokyo, Tokyo, Japan', latitude: 35.6762, longitude: 139.6503 },
  { location: 'São Paulo, São Paulo, Brazil', latitude: -23.5505, longitude: -46.6333 },
  { location: 'Dublin, Leinster, Ireland', latitude: 53.3498, longitude: -6.2603 },
  { location: 'Melbourne, Victoria, Australia', latitude: -37.8136, longitude: 144.9631 },
  { location: 'Lagos, Lagos, Nigeria', latitude: 6.5244, longitude: 3.3792 },
];

export const TICKET_SUBJECTS: readonly string[] = [
  'Help, my printer is on fire!',
  'Cannot sign in after password reset',
  'Rückerstattung für Bestellung #48213',
  '注文がまだ届きません',
  'Facture incorrecte — TVA appliquée deux fois',
  'Account locked: "too many attempts"',
  'Request to delete my personal data (GDPR Art. 17)',
  'API returns 500 on /v2/orders',
];

export const COMMENT_BODIES: readonly string[] = [
  'Thanks for your help!',
  'This is a comment',
  'Hi, I still can’t log in. Tried clearing cookies — no luck.',
  'Bonjour, la facture jointe comporte une erreur.',
  'ご対応ありがとうございます。',
  'Escalating to Tier 2: customer reports data exposure; please review access logs.',
  'Merci! 👍',
  'Customer shared card number 4111 1111 1111 1111 — redacting.',
];

export const STATUSES: readonly string[] = ['new', 'open', 'pending', 'hold', 'solved', 'closed'];
export const PRIORITIES: readonly string[] = ['low', 'normal', 'high', 'urgent'];
export const TAGS: readonly string[] = ['vip', 'billing', 'login_issue', 'gdpr', 'escalated', 'enterprise', 'spam_check', 'über_wichtig'];

export interface AccessEndpoint {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: (n: number) => string;
  category: string;
  summary: string;
  graphql?: string;
  referer?: (n: number) => string;
}

// Categories/summaries as in the access-log docs and Admin Center help ("Search tickets", "View ticket",
// "Show user", "List users", "Get profile by identifier", "List phone numbers"); some have none.
export const ACCESS_ENDPOINTS: readonly AccessEndpoint[] = [
  { method: 'GET', path: (n) => `/api/v2/tickets/${n}.json`, category: 'Tickets', summary: 'Show ticket', referer: (n) => `/agent/tickets/${n}` },
  { method: 'GET', path: () => '/api/v2/tickets.json?page[size]=100', category: 'Tickets', summary: 'List tickets', referer: () => '/agent/dashboard' },
  { method: 'POST', path: () => '/graphql', category: 'Ticket', summary: 'View ticket', graphql: 'ticket', referer: (n) => `/agent/tickets/${n}` },
  { method: 'POST', path: () => '/api/v2/search?query=foobar', category: 'Search', summary: 'Search tickets', referer: () => '/agent/dashboard' },
  { method: 'GET', path: (n) => `/api/v2/search.json?query=requester%3A${n}%20status%3Copen`, category: 'Search', summary: 'Search tickets', referer: () => '/agent/search/1' },
  { method: 'GET', path: (n) => `/api/v2/users/${n}.json`, category: 'Users', summary: 'Show user', referer: (n) => `/agent/users/${n}/requested_tickets` },
  { method: 'GET', path: (n) => `/api/v2/users/${n}/related.json`, category: 'Users', summary: 'Show user related information' },
  { method: 'GET', path: () => '/api/v2/users.json?role=agent', category: 'Users', summary: 'List users' },
  { method: 'PUT', path: (n) => `/api/v2/users/${n}.json`, category: 'Users', summary: 'Update user', referer: (n) => `/agent/users/${n}` },
  { method: 'GET', path: (n) => `/api/v2/user_profiles/${n}`, category: 'Profiles API', summary: 'Get profile by identifier' },
  { method: 'GET', path: () => '/api/v2/channels/voice/phone_numbers.json', category: 'Phone numbers', summary: 'List phone numbers' },
  { method: 'GET', path: () => '/api/v2/ticket_fields', category: 'Ticket fields', summary: 'List ticket fields' },
  { method: 'DELETE', path: (n) => `/api/v2/tickets/${n}.json`, category: 'Tickets', summary: 'Delete ticket', referer: (n) => `/agent/tickets/${n}` },
  { method: 'GET', path: () => '/api/v2/audit_logs.json?page[size]=100', category: 'Audit logs', summary: 'List audit logs' },
  { method: 'GET', path: () => '/api/v2/internal/reports/v1/health', category: '', summary: '' },
];

export const GRAPHQL_QUERY =
  'query ticket($id: ID!, $includeSkills: Boolean = false, $includeCustomFields: Boolean = false, $includeUserCustomFields: Boolean = false, $includeConversationAuthenticated: Boolean = false) { ticket(id: $id) { id assignee { user { id name __typename }...';
