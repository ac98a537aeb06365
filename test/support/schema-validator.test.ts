// The validator must catch real mistakes: each case breaks one thing in a valid event and
// expects the matching complaint (and a valid event must pass).

import { describe, expect, it } from 'vitest';
import { validateEcs, validateOcsf } from './schema-validator.js';

type Json = Record<string, unknown>;

const validOcsf = (): Json => ({
  class_uid: 3005,
  class_name: 'User Access Management',
  category_uid: 3,
  category_name: 'Identity & Access Management',
  activity_id: 1,
  activity_name: 'Assign Privileges',
  type_uid: 300501,
  type_name: 'User Access Management: Assign Privileges',
  time: 1772710364000,
  severity_id: 4,
  severity: 'High',
  status_id: 1,
  status: 'Success',
  metadata: { version: '1.8.0', product: { vendor_name: 'Zendesk', name: 'Zendesk Support' }, uid: 'acme:audit_log:1', labels: ['risk:role_elevated_admin'] },
  actor: { user: { uid: '1234', name: 'Sameer Patel' } },
  user: { uid: '3456', name: 'John Doe' },
  privileges: ['Administrator'],
  src_endpoint: { ip: '2001:db8::1' },
  observables: [{ name: 'src_endpoint.ip', type_id: 2, type: 'IP Address', value: '2001:db8::1' }],
  unmapped: { anything: { goes: [1, 'x'] } },
});

const validWeb = (): Json => ({
  class_uid: 6001,
  category_uid: 6,
  activity_id: 99,
  activity_name: 'Notification',
  type_uid: 600199,
  type_name: 'Web Resources Activity: Other',
  time: 1772710364000,
  severity_id: 1,
  metadata: { version: '1.8.0', product: { vendor_name: 'Zendesk', name: 'Zendesk Support' }, profiles: ['host'] },
  actor: { user: { uid: '5' } },
  web_resources: [{ type: 'Ticket', uid: '666' }],
});

const validEcs = (): Json => ({
  '@timestamp': '2026-03-05T11:32:44.000Z',
  ecs: { version: '9.4.0' },
  event: { kind: 'event', category: ['iam'], type: ['user', 'change'], outcome: 'success', id: 'acme:audit_log:1', severity: 4, risk_score: 73 },
  user: { id: '1234', name: 'Sameer Patel', target: { id: '3456', roles: ['Agent'] }, changes: { roles: ['Administrator'] } },
  source: { ip: '2001:db8::1', geo: { city_name: 'Oslo', location: { lat: 59.9, lon: 10.7 } } },
  related: { ip: ['2001:db8::1'], user: ['1234'] },
  labels: { env: 'prod' },
  tags: ['risk:role_elevated_admin'],
  zendesk: { audit_log: { source_type: 'user' } },
});

function broken(base: () => Json, edit: (e: Json) => void): Json {
  const e = base();
  edit(e);
  return e;
}

describe('validateOcsf', () => {
  it('accepts valid events', () => {
    expect(validateOcsf(validOcsf())).toEqual([]);
    expect(validateOcsf(validWeb())).toEqual([]);
  });

  const cases: [string, () => Json, (e: Json) => void, RegExp][] = [
    ['unknown class', validOcsf, (e) => (e.class_uid = 9999), /class_uid: 9999/],
    ['wrong category', validOcsf, (e) => (e.category_uid = 6), /category_uid: 6/],
    ['type_uid arithmetic', validOcsf, (e) => (e.type_uid = 300502), /type_uid: 300502 != class_uid \* 100 \+ activity_id/],
    ['activity not in the class list', validOcsf, (e) => { e.activity_id = 7; e.type_uid = 300507; delete e.activity_name; delete e.type_name; }, /activity_id: 7 is not a defined value/],
    ['sibling caption mismatch', validOcsf, (e) => (e.activity_name = 'Grant'), /activity_name: "Grant" does not match activity_id 1/],
    ['class_name mismatch', validOcsf, (e) => (e.class_name = 'Account Change'), /class_name: "Account Change" does not match class_uid 3005/],
    ['99 without the source name', validWeb, (e) => (e.activity_name = 'Other'), /activity_name: activity_id is 99 \(Other\)/],
    ['99 with no sibling at all', validWeb, (e) => delete e.activity_name, /activity_name: activity_id is 99/],
    ['missing required attribute', validOcsf, (e) => delete e.privileges, /privileges: required by user_access/],
    ['missing required object attribute', validOcsf, (e) => delete (e.metadata as Json).product, /metadata.product: required by metadata/],
    ['attribute the class does not define', validOcsf, (e) => (e.web_resources = []), /web_resources: not an attribute of user_access/],
    ['attribute the object does not define', validOcsf, (e) => ((e.user as Json).login = 'x'), /user.login: not an attribute of user/],
    ['profile attribute without the profile', validWeb, (e) => delete (e.metadata as Json).profiles, /actor: comes from the "host" profile/],
    ['profile that does not apply to the class', validOcsf, (e) => ((e.metadata as Json).profiles = ['network_proxy']), /"network_proxy" does not apply to user_access/],
    ['profile requirements apply once listed', validOcsf, (e) => ((e.metadata as Json).profiles = ['cloud']), /cloud: required by user_access/],
    ['deprecated attribute', () => ({ ...validOcsf(), class_uid: 3001, class_name: 'Account Change', activity_id: 1, activity_name: 'Create', type_uid: 300101, type_name: 'Account Change: Create', privileges: undefined }), (e) => { delete e.privileges; e.policy = { name: 'p' }; }, /policy: deprecated/],
    ['time in seconds', validOcsf, (e) => (e.time = 1772710364), /time: 1772710364 is not epoch milliseconds/],
    ['time as text', validOcsf, (e) => (e.time = '2026-03-05T11:32:44Z'), /time: expected an integer/],
    ['invalid IP', validOcsf, (e) => ((e.src_endpoint as Json).ip = '300.1.2.3'), /src_endpoint.ip: "300.1.2.3" is not a valid ip_t/],
    ['integer as string', validOcsf, (e) => (e.severity_id = '4'), /severity_id: expected a 32-bit integer/],
    ['scalar for an array', validOcsf, (e) => (e.privileges = 'Administrator'), /privileges: expected an array/],
    ['array for a scalar', validOcsf, (e) => (e.user = [{ uid: '1' }]), /user: not an array attribute/],
    ['object constraint at_least_one', validOcsf, (e) => (e.actor = {}), /actor: actor needs at least one of/],
    ['observable type id', validOcsf, (e) => ((e.observables as Json[])[0]!.type_id = 1234), /observables\[0\].type_id: 1234 is not a defined value/],
    ['observable caption', validOcsf, (e) => ((e.observables as Json[])[0]!.type = 'IP'), /observables\[0\].type: "IP" does not match type_id 2/],
    ['observable pointing nowhere', validOcsf, (e) => ((e.observables as Json[])[0]!.name = 'dst_endpoint.ip'), /observables\[0\].name: "dst_endpoint.ip" is not an attribute of this event/],
    ['observable value differs', validOcsf, (e) => ((e.observables as Json[])[0]!.value = '192.0.2.1'), /observables\[0\].value: "192.0.2.1" is not the value of src_endpoint.ip/],
    ['null value', validOcsf, (e) => (e.message = null), /message: null/],
    ['string enum', validOcsf, (e) => (e.http_request = { http_method: 'FETCH' }), /http_request.http_method: "FETCH" is not a defined value/],
    ['metadata.version', validOcsf, (e) => ((e.metadata as Json).version = '1.1.0'), /metadata.version/],
    ['port range', validOcsf, (e) => ((e.src_endpoint as Json).port = 70000), /src_endpoint.port: 70000 outside 0..65535/],
  ];
  it.each(cases)('catches: %s', (_name, base, edit, expected) => {
    const errors = validateOcsf(broken(base, edit));
    expect(errors.join('\n')).toMatch(expected);
  });
});

describe('validateEcs', () => {
  it('accepts a valid document', () => {
    expect(validateEcs(validEcs())).toEqual([]);
  });

  const cases: [string, (e: Json) => void, RegExp][] = [
    ['unknown field', (e) => ((e.user as Json).login = 'x'), /user.login: not an ECS 9.4.0 field/],
    ['unknown top-level field', (e) => (e.zsf = { a: 1 }), /zsf.a: not an ECS/],
    ['wrong type (keyword)', (e) => ((e.user as Json).id = 1234), /user.id: expected a string/],
    ['wrong type (long)', (e) => ((e.event as Json).severity = 'high'), /event.severity: expected an integer/],
    ['wrong type (float)', (e) => ((e.event as Json).risk_score = '73'), /event.risk_score: expected a number/],
    ['bad date', (e) => (e['@timestamp'] = 1772710364000), /@timestamp: expected an ISO 8601 date/],
    ['bad ip', (e) => ((e.source as Json).ip = 'localhost'), /source.ip: expected an IP address/],
    ['missing required field', (e) => delete e['@timestamp'], /@timestamp: required/],
    ['disallowed value', (e) => ((e.event as Json).kind = 'audit'), /event.kind: "audit" is not an allowed value/],
    ['category not an array', (e) => ((e.event as Json).category = 'iam'), /event.category: expected an array/],
    ['unknown category', (e) => ((e.event as Json).category = ['identity']), /event.category\[0\]: "identity" is not an allowed value/],
    ['type not expected with the category', (e) => ((e.event as Json).type = ['user', 'access']), /event.type: "access" is not expected with event.category "iam"/],
    ['category without any of its types', (e) => { (e.event as Json).category = ['iam', 'web']; }, /event.category: "web" has none of its expected types/],
    ['array for a scalar field', (e) => ((e.user as Json).name = ['a', 'b']), /user.name: not an array field/],
    ['scalar for an array field', (e) => ((e.related as Json).ip = '2001:db8::1'), /related.ip: expected an array/],
    ['null', (e) => ((e.user as Json).name = null), /user.name: null/],
    ['null inside the custom namespace', (e) => ((e.zendesk as Json).x = null), /zendesk.x: null/],
    ['geo_point shape', (e) => (((e.source as Json).geo as Json).location = '59.9,10.7'), /source.geo.location: expected \{lat, lon\}/],
    ['ecs.version', (e) => ((e.ecs as Json).version = '8.11.0'), /ecs.version: "8.11.0", expected "9.4.0"/],
  ];
  it.each(cases)('catches: %s', (_name, edit, expected) => {
    const errors = validateEcs(broken(validEcs, edit));
    expect(errors.join('\n')).toMatch(expected);
  });

  it('refuses a custom namespace that shadows an ECS field set', () => {
    expect(validateEcs(validEcs(), { customNamespaces: ['user'] }).join('\n')).toMatch(/shadows an ECS field set/);
  });
});
