// `zsf verify` (check a tamper-evident archive against its manifests and signed heads) and
// `zsf keygen` (an Ed25519 signing key pair). docs/integrity.md.

import type { Command } from 'commander';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { dirStore } from '../integrity/dir-store.js';
import { reportJson, reportMarkdown } from '../integrity/report.js';
import { generateSigningKeyPair, parseKeySpec, parseSignedHead, publicKeyEntry, type PublicKeyEntry, type SignedHead } from '../integrity/signer.js';
import type { ArchiveStore } from '../integrity/store.js';
import { verifyArchive } from '../integrity/verify.js';
import { UsageError } from './usage-error.js';

interface VerifyOptions {
  s3?: string;
  dir?: string;
  publicKey: string[];
  head: string[];
  report: string;
  out?: string;
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

async function readOrUsage(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

export async function loadPublicKeys(specs: string[]): Promise<PublicKeyEntry[]> {
  if (!specs.length) throw new UsageError('zsf verify needs at least one --public-key (the .pub.pem written by zsf keygen)');
  const keys: PublicKeyEntry[] = [];
  for (const spec of specs) {
    let parsed;
    try {
      parsed = parseKeySpec(spec);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const pem = await readOrUsage(parsed.path, '--public-key');
    try {
      keys.push(publicKeyEntry(pem, parsed.path, parsed));
    } catch (err) {
      throw new UsageError(`--public-key ${(err as Error).message}`);
    }
  }
  return keys;
}

/** Signed heads kept elsewhere: a head file, a JSON array of them, or NDJSON (e.g. the zsf.integrity log lines or SIEM events). */
export async function loadHeads(paths: string[]): Promise<{ signed: SignedHead; source: string }[]> {
  const heads: { signed: SignedHead; source: string }[] = [];
  for (const path of paths) {
    const text = await readOrUsage(path, '--head');
    let items: unknown[];
    try {
      const v = JSON.parse(text) as unknown;
      items = Array.isArray(v) ? v : [v];
    } catch {
      items = text.split('\n').filter((l) => l.trim()).map((l) => {
        try {
          return JSON.parse(l) as unknown;
        } catch {
          return undefined;
        }
      });
    }
    items.forEach((item, i) => {
      const p = parseSignedHead(JSON.stringify(item ?? null));
      if ('signed' in p) heads.push({ signed: { head: p.signed.head, signature: p.signed.signature }, source: `${path}#${i + 1}` });
    });
    if (!heads.some((h) => h.source.startsWith(`${path}#`))) throw new UsageError(`--head ${path}: no signed head found (expected {"head":…,"signature":…} objects)`);
  }
  return heads;
}

// The AWS SDK loads only for `--s3`: `zsf --help` and `zsf verify --dir` stay light.
async function storeFor(o: VerifyOptions): Promise<ArchiveStore> {
  if (!!o.s3 === !!o.dir) throw new UsageError('zsf verify needs exactly one of --s3 s3://bucket/prefix or --dir <folder>');
  if (o.dir) return dirStore(resolve(o.dir));
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(o.s3!);
  if (!m) throw new UsageError(`--s3 ${o.s3}: expected s3://bucket or s3://bucket/prefix`);
  const [{ S3Client }, { s3Store }] = await Promise.all([import('@aws-sdk/client-s3'), import('../integrity/s3-store.js')]);
  const client = new S3Client({
    ...(o.region ? { region: o.region } : {}),
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    forcePathStyle: o.forcePathStyle ?? false,
    // Stores the reader did not write may not answer with checksums; verify hashes every byte itself.
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return s3Store(client, m[1]!, m[2] ?? '');
}

export function registerIntegrityCommands(program: Command): void {
  program
    .command('verify')
    .description('check a tamper-evident archive (integrity.enabled) against its manifests and signed heads; exit 0 only when every chain is whole')
    .option('--s3 <url>', 'archive in S3: s3://bucket/prefix (credentials from the AWS SDK default chain)')
    .option('--dir <folder>', 'archive of the file sink: <path without extension>/')
    .option('--public-key <pem[@from..to]>', 'public key (repeat for rotated keys), optionally with its validity period, e.g. old.pub.pem@..2026-06-30 new.pub.pem@2026-06-30..', collect, [])
    .option('--head <file>', 'signed heads held elsewhere (zsf.integrity events exported from the SIEM, JSON or NDJSON); repeatable', collect, [])
    .option('--report <format>', 'md or json', 'md')
    .option('--out <file>', 'write the report here instead of stdout')
    .option('--endpoint <url>', 'S3-compatible endpoint')
    .option('--region <region>', 'S3 region')
    .option('--force-path-style', 'path-style S3 URLs (most S3-compatible stores)')
    .action(async (o: VerifyOptions) => {
      if (o.report !== 'md' && o.report !== 'json') throw new UsageError(`--report ${o.report}: expected md or json`);
      const keys = await loadPublicKeys(o.publicKey);
      const extraHeads = await loadHeads(o.head);
      const store = await storeFor(o);
      const report = await verifyArchive(store, { keys, extraHeads });
      const text = o.report === 'json' ? reportJson(report) : reportMarkdown(report);
      if (o.out) {
        await writeFile(o.out, text);
        const problems = report.findings.filter((f) => f.kind !== 'duplicate_records').length;
        process.stderr.write(`${store.location}: ${report.whole ? 'whole' : `NOT whole, ${problems} finding(s)`}; report written to ${o.out}\n`);
      } else process.stdout.write(text);
      process.exitCode = report.whole ? 0 : 1;
    });

  program
    .command('keygen')
    .description('write an Ed25519 key pair for integrity.signingKey: zsf-signing.pem (private, mode 0600) and zsf-signing.pub.pem')
    .requiredOption('--out <dir>', 'folder to write the pair into (existing files are never overwritten)')
    .option('--name <name>', 'file name stem', 'zsf-signing')
    .action(async (o: { out: string; name: string }) => {
      const pair = generateSigningKeyPair();
      await mkdir(o.out, { recursive: true, mode: 0o700 });
      const priv = join(o.out, `${o.name}.pem`);
      const pub = join(o.out, `${o.name}.pub.pem`);
      try {
        await writeFile(priv, pair.privatePem, { mode: 0o600, flag: 'wx' });
        await writeFile(pub, pair.publicPem, { mode: 0o644, flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${(err as NodeJS.ErrnoException).path ?? o.out} exists; keygen never overwrites a key (choose another --out or --name)`);
        throw err;
      }
      console.log(`private key: ${priv} (mode 0600; give it to the forwarder as integrity.signingKey: "\${file:${priv}}")`);
      console.log(`public key:  ${pub} (key id ${pair.keyId}; give it to auditors for zsf verify --public-key)`);
    });
}
