// Test-only validators for the mapper outputs, driven by the reference data in
// test/reference/schemas (OCSF 1.8.0 resolved per class, ECS 9.4.0 flat field list; see
// test/reference/README.md for where they come from).
//
// OCSF: class/category/type arithmetic, activity in the class list, required attributes per
// class and per object (profile attributes only count when the profile is in
// metadata.profiles), attributes the class/object does not define, deprecated attributes,
// object constraints (at_least_one / just_one), every enum and its sibling caption (99 needs
// the source's own name), scalar types (epoch-ms timestamps, IPs, integers, arrays), no nulls.
// ECS: every field exists in the flat list with the right type and array-ness, allowed
// values, required fields, and event.category/event.type pairs; custom namespaces allowed
// by name (e.g. "zendesk").

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The reference data copied into the repository (test/reference/schemas). */
export const SCHEMAS_DIR = fileURLToPath(new URL('../reference/schemas/', import.meta.url));

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

// ------------------------------------------------------------------------------------ OCSF

interface OcsfAttr {
  caption: string;
  requirement: 'required' | 'recommended' | 'optional';
  type: string;
  object_type?: string;
  is_array?: boolean;
  enum?: Record<string, string>;
  sibling?: string;
  profile?: string;
  deprecated?: unknown;
}
interface OcsfEntity {
  name: string;
  caption: string;
  uid?: number;
  category_uid?: number;
  profiles?: string[];
  constraints?: { at_least_one?: string[]; just_one?: string[] };
  attributes: Record<string, OcsfAttr>;
}
interface OcsfType {
  caption: string;
  base_type?: string;
  regex?: string;
  max_len?: number;
  range?: [number, number];
}
export interface OcsfSchema {
  version: string;
  types: Record<string, OcsfType>;
  profiles: Record<string, { attributes: string[] }>;
  classes: Record<string, OcsfEntity>;
  objects: Record<string, OcsfEntity>;
  byUid: Map<number, OcsfEntity>;
  /** Observable type_id captions: the resolved enum only has 0/99; the dictionary annotates the rest. */
  observableTypes: Record<string, string>;
  regex: Map<string, RegExp>;
}

let cachedOcsf: OcsfSchema | undefined;

export function loadOcsf(dir = SCHEMAS_DIR): OcsfSchema {
  if (cachedOcsf && dir === SCHEMAS_DIR) return cachedOcsf;
  const doc = JSON.parse(readFileSync(join(dir, 'ocsf-1.8.0.json'), 'utf8')) as Omit<OcsfSchema, 'byUid' | 'observableTypes' | 'regex'>;
  const byUid = new Map<number, OcsfEntity>();
  for (const c of Object.values(doc.classes)) if (typeof c.uid === 'number') byUid.set(c.uid, c);

  // Observable type ids live on dictionary types, dictionary attributes and objects ("observable": n).
  const observableTypes: Record<string, string> = { 0: 'Unknown', 99: 'Other' };
  const dict = JSON.parse(readFileSync(join(dir, 'ocsf-1.8.0-raw', 'dictionary.json'), 'utf8')) as {
    types: { attributes: Record<string, { caption: string; observable?: number }> };
    attributes: Record<string, { caption: string; observable?: number }>;
  };
  for (const t of Object.values(dict.types.attributes)) if (t.observable !== undefined) observableTypes[String(t.observable)] = t.caption;
  for (const a of Object.values(dict.attributes)) if (a.observable !== undefined) observableTypes[String(a.observable)] = a.caption;
  for (const name of Object.keys(doc.objects)) {
    try {
      const raw = JSON.parse(readFileSync(join(dir, 'ocsf-1.8.0-raw', 'objects', `${name}.json`), 'utf8')) as { caption: string; observable?: number };
      if (raw.observable !== undefined) observableTypes[String(raw.observable)] = raw.caption;
    } catch {
      // objects resolved from another file name (e.g. _entity bases) carry no observable id
    }
  }
  const regex = new Map<string, RegExp>();
  for (const [name, t] of Object.entries(doc.types)) if (t.regex) regex.set(name, new RegExp(t.regex));
  const schema: OcsfSchema = { ...doc, byUid, observableTypes, regex };
  if (dir === SCHEMAS_DIR) cachedOcsf = schema;
  return schema;
}

const INT32 = 2 ** 31;
// Epoch milliseconds between 1973 and 2286: seconds (1e9..1e10) and microseconds fall outside.
const MS_MIN = 1e11;
const MS_MAX = 1e13;

function baseType(s: OcsfSchema, type: string): string {
  let t = type;
  for (let i = 0; i < 5; i++) {
    const b = s.types[t]?.base_type;
    if (!b) break;
    t = b;
  }
  return t;
}

function checkScalar(s: OcsfSchema, type: string, v: unknown, path: string, errors: string[]): void {
  const base = baseType(s, type);
  const def = s.types[type];
  switch (base) {
    case 'string_t':
      if (typeof v !== 'string') return void errors.push(`${path}: expected a string (${type}), got ${JSON.stringify(v)}`);
      if (def?.max_len !== undefined && v.length > def.max_len) errors.push(`${path}: longer than ${def.max_len} (${type})`);
      {
        const re = s.regex.get(type);
        if (re && !re.test(v)) errors.push(`${path}: ${JSON.stringify(v)} is not a valid ${type}`);
      }
      if (type === 'ip_t' && !isIP(v)) errors.push(`${path}: ${JSON.stringify(v)} is not an IP address`);
      // url_t is "a Uniform Resource Locator (RFC 1738)": absolute, with a scheme. A bare path
      // belongs in url.path, not in url_string.
      if (type === 'url_t' && !isAbsoluteUrl(v)) errors.push(`${path}: ${JSON.stringify(v)} is not an absolute URL (url_t)`);
      return;
    case 'integer_t':
      if (!Number.isInteger(v) || (v as number) < -INT32 || (v as number) >= INT32) return void errors.push(`${path}: expected a 32-bit integer (${type}), got ${JSON.stringify(v)}`);
      if (def?.range && ((v as number) < def.range[0] || (v as number) > def.range[1])) errors.push(`${path}: ${String(v)} outside ${def.range.join('..')} (${type})`);
      return;
    case 'long_t':
      if (!Number.isSafeInteger(v)) return void errors.push(`${path}: expected an integer (${type}), got ${JSON.stringify(v)}`);
      if (type === 'timestamp_t' && ((v as number) < MS_MIN || (v as number) > MS_MAX)) errors.push(`${path}: ${String(v)} is not epoch milliseconds`);
      return;
    case 'float_t':
      if (typeof v !== 'number' || !Number.isFinite(v)) errors.push(`${path}: expected a number (${type}), got ${JSON.stringify(v)}`);
      return;
    case 'boolean_t':
      if (typeof v !== 'boolean') errors.push(`${path}: expected a boolean, got ${JSON.stringify(v)}`);
      return;
    case 'json_t':
      return;
    default:
      errors.push(`${path}: unknown OCSF type ${type}`);
  }
}

function isAbsoluteUrl(v: string): boolean {
  try {
    return /^[a-z][a-z0-9+.-]*:/i.test(v) && new URL(v).protocol.length > 1;
  } catch {
    return false;
  }
}

const requiredCache = new WeakMap<OcsfEntity, [string, OcsfAttr][]>();
function requiredOf(entity: OcsfEntity): [string, OcsfAttr][] {
  let r = requiredCache.get(entity);
  if (!r) requiredCache.set(entity, (r = Object.entries(entity.attributes).filter(([, a]) => a.requirement === 'required')));
  return r;
}

function checkEntity(s: OcsfSchema, entity: OcsfEntity, value: Json, path: string, profiles: Set<string>, errors: string[]): void {
  const p = (k: string) => (path ? `${path}.${k}` : k);
  for (const k of Object.keys(value)) {
    const v = value[k];
    const attr = entity.attributes[k];
    if (!attr) {
      errors.push(`${p(k)}: not an attribute of ${entity.name}`);
      continue;
    }
    if (attr.profile && !profiles.has(attr.profile)) errors.push(`${p(k)}: comes from the "${attr.profile}" profile, which metadata.profiles does not list`);
    if (attr.deprecated) errors.push(`${p(k)}: deprecated in OCSF ${s.version}`);
    checkValue(s, attr, v, p(k), profiles, errors);
    if (attr.enum && v !== null && v !== undefined) checkEnum(s, entity, k, attr, v, value, p, errors);
  }
  for (const [k, attr] of requiredOf(entity)) {
    if (value[k] !== undefined) continue;
    if (attr.profile && !profiles.has(attr.profile)) continue;
    errors.push(`${p(k)}: required by ${entity.name}`);
  }
  const c = entity.constraints;
  if (c?.at_least_one && !c.at_least_one.some((k) => value[k] !== undefined)) errors.push(`${path || '(event)'}: ${entity.name} needs at least one of ${c.at_least_one.join(', ')}`);
  if (c?.just_one && c.just_one.filter((k) => value[k] !== undefined).length !== 1) errors.push(`${path || '(event)'}: ${entity.name} needs exactly one of ${c.just_one.join(', ')}`);
}

/** An enum value must be defined; its sibling must carry the caption (or, for 99, the source's own name). */
function checkEnum(s: OcsfSchema, entity: OcsfEntity, k: string, attr: OcsfAttr, v: unknown, value: Json, p: (k: string) => string, errors: string[]): void {
  const enumMap = entity.name === 'observable' && k === 'type_id' ? s.observableTypes : attr.enum!;
  const items = attr.is_array && Array.isArray(v) ? v : [v];
  for (const item of items) {
    const key = String(item);
    if (!(key in enumMap)) {
      const keys = Object.keys(enumMap);
      errors.push(`${p(k)}: ${JSON.stringify(item)} is not a defined value (${keys.slice(0, 12).join(', ')}${keys.length > 12 ? ', ...' : ''})`);
      continue;
    }
    if (!attr.sibling || attr.is_array) continue;
    const sib = value[attr.sibling];
    if (key === '99') {
      if (typeof sib !== 'string' || sib.trim() === '' || sib === 'Other') errors.push(`${p(attr.sibling)}: ${k} is 99 (Other), so ${attr.sibling} must carry the source's own value`);
    } else if (sib !== undefined && sib !== enumMap[key]) {
      errors.push(`${p(attr.sibling)}: ${JSON.stringify(sib)} does not match ${k} ${key} ("${enumMap[key]}")`);
    }
  }
}

function checkValue(s: OcsfSchema, attr: OcsfAttr, v: unknown, path: string, profiles: Set<string>, errors: string[]): void {
  if (v === null || v === undefined) return void errors.push(`${path}: null (omit the attribute instead)`);
  if (attr.is_array) {
    if (!Array.isArray(v)) return void errors.push(`${path}: expected an array`);
    v.forEach((item, i) => checkItem(s, attr, item, `${path}[${i}]`, profiles, errors));
    return;
  }
  if (Array.isArray(v)) return void errors.push(`${path}: not an array attribute`);
  checkItem(s, attr, v, path, profiles, errors);
}

function checkItem(s: OcsfSchema, attr: OcsfAttr, v: unknown, path: string, profiles: Set<string>, errors: string[]): void {
  if (v === null || v === undefined) return void errors.push(`${path}: null`);
  if (attr.type !== 'object_t') return checkScalar(s, attr.type, v, path, errors);
  if (!isObj(v)) return void errors.push(`${path}: expected an object (${attr.object_type})`);
  if (attr.object_type === 'object') return; // generic object (e.g. `unmapped`): free-form
  const obj = s.objects[attr.object_type ?? ''];
  if (!obj) return void errors.push(`${path}: unknown object type ${attr.object_type}`);
  checkEntity(s, obj, v, path, profiles, errors);
}

/** Returns a list of problems; empty means valid OCSF 1.8.0 for the event's class. */
export function validateOcsf(event: unknown, s: OcsfSchema = loadOcsf()): string[] {
  const errors: string[] = [];
  if (!isObj(event)) return ['event is not an object'];
  const cls = typeof event.class_uid === 'number' ? s.byUid.get(event.class_uid) : undefined;
  if (!cls) return [`class_uid: ${JSON.stringify(event.class_uid)} is not a class of this schema subset`];

  const metadata = isObj(event.metadata) ? event.metadata : {};
  const listed = Array.isArray(metadata.profiles) ? metadata.profiles.filter((x): x is string => typeof x === 'string') : [];
  for (const name of listed) {
    if (!s.profiles[name]) errors.push(`metadata.profiles: unknown profile "${name}"`);
    else if (!cls.profiles?.includes(name)) errors.push(`metadata.profiles: "${name}" does not apply to ${cls.name}`);
  }
  if (metadata.version !== undefined && metadata.version !== s.version) errors.push(`metadata.version: ${JSON.stringify(metadata.version)}, expected "${s.version}"`);

  if (event.category_uid !== cls.category_uid) errors.push(`category_uid: ${JSON.stringify(event.category_uid)}, ${cls.name} is in category ${cls.category_uid}`);
  if (typeof event.activity_id === 'number' && event.type_uid !== (cls.uid as number) * 100 + event.activity_id) {
    errors.push(`type_uid: ${JSON.stringify(event.type_uid)} != class_uid * 100 + activity_id (${(cls.uid as number) * 100 + event.activity_id})`);
  }
  checkEntity(s, cls, event, '', new Set(listed), errors);
  checkObservables(event, errors);
  return errors;
}

/** observables[].name must point at an attribute of this event, and `value` must be its value. */
function checkObservables(event: Json, errors: string[]): void {
  if (!Array.isArray(event.observables)) return;
  event.observables.forEach((o, i) => {
    if (!isObj(o) || typeof o.name !== 'string') return;
    let found: unknown[] = [event];
    for (const seg of o.name.replace(/\[\d*\]/g, '').split('.')) {
      found = found.flatMap((v) => (Array.isArray(v) ? v : [v])).flatMap((v) => (isObj(v) && v[seg] !== undefined ? [v[seg]] : []));
    }
    found = found.flatMap((v) => (Array.isArray(v) ? v : [v]));
    if (found.length === 0) errors.push(`observables[${i}].name: "${o.name}" is not an attribute of this event`);
    else if (o.value !== undefined && !found.some((v) => String(v) === o.value)) errors.push(`observables[${i}].value: ${JSON.stringify(o.value)} is not the value of ${o.name}`);
  });
}

// ------------------------------------------------------------------------------------ ECS

interface EcsField {
  type: string;
  normalize?: string[];
  required?: boolean;
  pattern?: string;
  allowed_values?: { name: string }[];
  expected_values?: string[];
}
export interface EcsSchema {
  version: string;
  fields: Record<string, EcsField>;
  required: string[];
  patterns: Map<string, RegExp>;
  pairs: Record<string, string[]>;
  /** Top-level names of ECS field sets, so a custom namespace cannot shadow one. */
  fieldSets: Set<string>;
}

let cachedEcs: EcsSchema | undefined;

export function loadEcs(dir = SCHEMAS_DIR): EcsSchema {
  if (cachedEcs && dir === SCHEMAS_DIR) return cachedEcs;
  const doc = JSON.parse(readFileSync(join(dir, 'ecs-9.4.0-flat.json'), 'utf8')) as { version: string; fields: Record<string, EcsField>; expected_category_type_pairs: Record<string, string[]> };
  const schema: EcsSchema = {
    version: doc.version,
    fields: doc.fields,
    pairs: doc.expected_category_type_pairs,
    fieldSets: new Set(Object.keys(doc.fields).map((k) => k.split('.')[0]!)),
    required: Object.entries(doc.fields).filter(([, f]) => f.required).map(([k]) => k),
    patterns: new Map(Object.entries(doc.fields).filter(([, f]) => f.pattern).map(([k, f]) => [k, new RegExp(f.pattern!)])),
  };
  if (dir === SCHEMAS_DIR) cachedEcs = schema;
  return schema;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function checkEcsScalar(f: EcsField, v: unknown, path: string, errors: string[], pattern?: RegExp): void {
  switch (f.type) {
    case 'keyword':
    case 'constant_keyword':
    case 'wildcard':
    case 'match_only_text':
    case 'text':
      if (typeof v !== 'string') errors.push(`${path}: expected a string (${f.type}), got ${JSON.stringify(v)}`);
      break;
    case 'long':
      if (!Number.isSafeInteger(v)) errors.push(`${path}: expected an integer (long), got ${JSON.stringify(v)}`);
      break;
    case 'integer':
    case 'short':
    case 'byte':
      if (!Number.isInteger(v) || Math.abs(v as number) >= INT32) errors.push(`${path}: expected an integer (${f.type}), got ${JSON.stringify(v)}`);
      break;
    case 'float':
    case 'double':
    case 'half_float':
    case 'scaled_float':
      if (typeof v !== 'number' || !Number.isFinite(v)) errors.push(`${path}: expected a number (${f.type}), got ${JSON.stringify(v)}`);
      break;
    case 'boolean':
      if (typeof v !== 'boolean') errors.push(`${path}: expected a boolean, got ${JSON.stringify(v)}`);
      break;
    case 'date':
      if (typeof v !== 'string' || !ISO_DATE.test(v) || !Number.isFinite(Date.parse(v))) errors.push(`${path}: expected an ISO 8601 date, got ${JSON.stringify(v)}`);
      break;
    case 'ip':
      if (typeof v !== 'string' || !isIP(v)) errors.push(`${path}: expected an IP address, got ${JSON.stringify(v)}`);
      break;
    case 'geo_point':
      if (!isObj(v) || typeof v.lat !== 'number' || typeof v.lon !== 'number') errors.push(`${path}: expected {lat, lon}, got ${JSON.stringify(v)}`);
      break;
    default:
      errors.push(`${path}: no check for ECS type ${f.type}`);
  }
  if (f.allowed_values && !f.allowed_values.some((a) => a.name === v)) errors.push(`${path}: ${JSON.stringify(v)} is not an allowed value`);
  if (f.expected_values && !f.expected_values.includes(v as string)) errors.push(`${path}: ${JSON.stringify(v)} is not an expected value`);
  if (pattern && typeof v === 'string' && !pattern.test(v)) errors.push(`${path}: does not match ${f.pattern}`);
}

function checkNoNulls(v: unknown, path: string, errors: string[]): void {
  if (v === null) errors.push(`${path}: null (omit the field instead)`);
  else if (Array.isArray(v)) v.forEach((x, i) => checkNoNulls(x, `${path}[${i}]`, errors));
  else if (isObj(v)) for (const [k, x] of Object.entries(v)) checkNoNulls(x, `${path}.${k}`, errors);
}

export interface EcsOptions {
  /** Top-level custom namespaces accepted as free-form (default ["zendesk"]). */
  customNamespaces?: string[];
}

/** Returns a list of problems; empty means valid ECS 9.4.0. */
export function validateEcs(doc: unknown, opts: EcsOptions = {}, s: EcsSchema = loadEcs()): string[] {
  const errors: string[] = [];
  if (!isObj(doc)) return ['document is not an object'];
  const custom = new Set(opts.customNamespaces ?? ['zendesk']);
  for (const c of custom) if (s.fieldSets.has(c)) errors.push(`custom namespace "${c}" shadows an ECS field set`);
  const seen = new Set<string>();

  const walk = (v: unknown, name: string): void => {
    if (v === null || v === undefined) return void errors.push(`${name}: null (omit the field instead)`);
    const f = s.fields[name];
    if (f) {
      seen.add(name);
      if (f.type === 'object' || f.type === 'flattened') {
        if (!isObj(v)) errors.push(`${name}: expected an object (${f.type})`);
        return;
      }
      if (f.type === 'nested') {
        if (!Array.isArray(v) || !v.every(isObj)) errors.push(`${name}: expected an array of objects (nested)`);
        return;
      }
      const isArrayField = f.normalize?.includes('array') ?? false;
      if (Array.isArray(v)) {
        if (!isArrayField) return void errors.push(`${name}: not an array field`);
        if (v.length === 0) errors.push(`${name}: empty array (omit the field instead)`);
        v.forEach((item, i) => (item === null ? errors.push(`${name}[${i}]: null`) : checkEcsScalar(f, item, `${name}[${i}]`, errors, s.patterns.get(name))));
        return;
      }
      if (isArrayField) return void errors.push(`${name}: expected an array`);
      return checkEcsScalar(f, v, name, errors, s.patterns.get(name));
    }
    if (custom.has(name.split('.')[0]!)) return checkNoNulls(v, name, errors); // custom namespace: free-form
    if (isObj(v)) {
      for (const [k, x] of Object.entries(v)) walk(x, name ? `${name}.${k}` : k);
      return;
    }
    errors.push(`${name}: not an ECS ${s.version} field`);
  };
  for (const [k, v] of Object.entries(doc)) walk(v, k);

  for (const name of s.required) if (!seen.has(name)) errors.push(`${name}: required`);
  const ecsVersion = (doc.ecs as Json | undefined)?.version;
  if (ecsVersion !== undefined && ecsVersion !== s.version) errors.push(`ecs.version: ${JSON.stringify(ecsVersion)}, expected "${s.version}"`);

  // event.category / event.type, strictly: every (category, type) combination the document
  // states must be one ECS expects (a "web" event that is also "creation" is not), and every
  // category gets one of its types.
  const ev = isObj(doc.event) ? doc.event : {};
  const cats = Array.isArray(ev.category) ? ev.category.filter((x): x is string => typeof x === 'string') : [];
  const types = Array.isArray(ev.type) ? ev.type.filter((x): x is string => typeof x === 'string') : [];
  if (cats.length > 0 && types.length === 0) errors.push('event.type: required with event.category');
  for (const c of cats) for (const t of types) if (!s.pairs[c]?.includes(t)) errors.push(`event.type: "${t}" is not expected with event.category "${c}" (expected: ${(s.pairs[c] ?? []).join(', ')})`);
  for (const c of cats) if (types.length > 0 && !types.some((t) => s.pairs[c]?.includes(t))) errors.push(`event.category: "${c}" has none of its expected types in ${JSON.stringify(types)}`);
  return errors;
}
