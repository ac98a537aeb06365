// Signed chain heads: Ed25519 through node:crypto (no home-made cryptography). A head says
// "chain C had S entries ending in hash H at time T", signed with the sink's private key;
// `zsf verify` checks it with the public keys it is given, each valid for a period, so a
// rotated key starts a new signed segment without invalidating the old one.

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from './chain.js';

export interface HeadBody {
  v: number;
  chain: string;
  seq: number;
  hash: string;
  /** Epoch ms when the head was signed. */
  time: number;
  keyId: string;
}

export interface SignedHead {
  head: HeadBody;
  /** Base64 Ed25519 signature of canonicalJson(head). */
  signature: string;
}

/** 16 hex characters of SHA-256 over the public key's SPKI DER: names the key in heads without revealing anything. */
export function keyIdOf(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

/** An Ed25519 private key from PEM text; the error never quotes the text. */
export function loadSigningKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new Error('integrity.signingKey is not a PEM private key (expected the file written by `zsf keygen`)');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`integrity.signingKey is a ${key.asymmetricKeyType ?? 'unknown'} key; an Ed25519 key is required (zsf keygen)`);
  return key;
}

export function signHead(body: Omit<HeadBody, 'keyId' | 'v'>, key: KeyObject): SignedHead {
  const head: HeadBody = { v: 1, ...body, keyId: keyIdOf(key) };
  return { head, signature: sign(null, Buffer.from(canonicalJson(head)), key).toString('base64') };
}

export interface PublicKeyEntry {
  key: KeyObject;
  keyId: string;
  /** Epoch ms; a head signed outside [from, to] by this key is not accepted. */
  from?: number;
  to?: number;
  label: string;
}

/** `key.pem`, `key.pem@2026-01-01..`, `key.pem@..2026-06-30T00:00:00Z` or `key.pem@from..to`. */
export function parseKeySpec(spec: string): { path: string; from?: number; to?: number } {
  const at = spec.lastIndexOf('@');
  if (at < 0 || !spec.slice(at + 1).includes('..')) return { path: spec };
  const [fromText, toText] = spec.slice(at + 1).split('..') as [string, string];
  const date = (t: string, what: string): number | undefined => {
    if (!t) return undefined;
    const ms = Date.parse(t);
    if (Number.isNaN(ms)) throw new Error(`--public-key ${spec}: "${t}" is not a date (${what}; ISO 8601, e.g. 2026-01-01 or 2026-01-01T00:00:00Z)`);
    return ms;
  };
  const from = date(fromText, 'valid from');
  const to = date(toText, 'valid to');
  return { path: spec.slice(0, at), ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

export function publicKeyEntry(pem: string, label: string, validity: { from?: number; to?: number } = {}): PublicKeyEntry {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new Error(`${label}: not a PEM public key`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${label}: a ${key.asymmetricKeyType ?? 'unknown'} key; Ed25519 expected`);
  return { key, keyId: keyIdOf(key), label, ...validity };
}

/** Why a signed head is not acceptable under `keys`, or undefined when it is. Never throws. */
export function headSignatureProblem(signed: SignedHead, keys: readonly PublicKeyEntry[]): string | undefined {
  const candidates = keys.filter((k) => k.keyId === signed.head.keyId);
  if (!candidates.length) return `signed by key ${signed.head.keyId}, which is not among the public keys given`;
  const inPeriod = candidates.filter((k) => (k.from === undefined || signed.head.time >= k.from) && (k.to === undefined || signed.head.time <= k.to));
  if (!inPeriod.length) return `signed by key ${signed.head.keyId} at ${new Date(signed.head.time).toISOString()}, outside that key's validity period`;
  let sig: Buffer;
  try {
    sig = Buffer.from(signed.signature, 'base64');
  } catch {
    return 'signature is not base64';
  }
  const data = Buffer.from(canonicalJson(signed.head));
  for (const k of inPeriod) {
    try {
      if (verify(null, data, k.key, sig)) return undefined;
    } catch {
      // malformed signature bytes: reported below
    }
  }
  return `signature does not verify with key ${signed.head.keyId}`;
}

/** A fresh Ed25519 pair as PEM (PKCS#8 private, SPKI public). */
export function generateSigningKeyPair(): { privatePem: string; publicPem: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

/** Parses a head file; a description of what is wrong when it is not one. */
export function parseSignedHead(text: string): { signed: SignedHead } | { problem: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return { problem: `not JSON: ${(err as Error).message}` };
  }
  const o = v as { head?: Record<string, unknown>; signature?: unknown } | null;
  const h = o?.head;
  if (!h || typeof h !== 'object' || typeof o.signature !== 'string') return { problem: 'expected {"head": {...}, "signature": "..."}' };
  if (typeof h.chain !== 'string' || typeof h.hash !== 'string' || typeof h.keyId !== 'string') return { problem: 'head.chain/hash/keyId missing' };
  if (!Number.isSafeInteger(h.seq) || typeof h.time !== 'number' || h.v !== 1) return { problem: 'head.seq/time/v invalid' };
  return { signed: o as unknown as SignedHead };
}
