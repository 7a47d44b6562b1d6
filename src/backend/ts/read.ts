/**
 * readState / verifyState: parse and check the manifest, then check every listed file (size, XXH3) and
 * look for files the manifest does not list.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FileDigest, Manifest, Problem, ReadStateResult, VerifyReport } from '../types.js';
import { EngineError } from '../types.js';
import { CONCURRENCY, compareUtf8, fsError, isOutOfFds, mapLimit, openInState, osText } from './fsutil.js';
import { acquireHasher, releaseHasher, xxh3 } from './hash.js';
import { MANIFEST_NAME, ManifestRejection, parseManifest, readManifestBytes } from './manifest.js';
import { walkTree } from './walk.js';

const CHUNK = 1 << 20;
const isWindows = process.platform === 'win32';

/** Streams a file through XXH3; with `sync`, fsyncs it too. */
export async function hashFile(path: string, opts: { sync?: boolean } = {}): Promise<FileDigest> {
  let fh;
  try {
    fh = await open(path, opts.sync && isWindows ? 'r+' : 'r');
  } catch (err) {
    throw fsError(err, path, 'open');
  }
  try {
    const d = await hashHandle(fh, path);
    if (opts.sync) {
      try {
        await fh.sync();
      } catch (err) {
        throw fsError(err, path, 'read');
      }
    }
    return d;
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Streams an open file through XXH3 (from its current position); the caller closes it. */
async function hashHandle(fh: FileHandle, path: string): Promise<FileDigest> {
  const hasher = await acquireHasher();
  try {
    const buf = new Uint8Array(CHUNK);
    let size = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      hasher.update(bytesRead === CHUNK ? buf : buf.subarray(0, bytesRead));
      size += bytesRead;
    }
    return { size, xxh3: hasher.digest('hex') };
  } catch (err) {
    throw fsError(err, path, 'read');
  } finally {
    releaseHasher(hasher);
  }
}

/**
 * Reads and parses `<dir>/manifest.json`: ENOENT if `dir` is missing, ENOTSTATE if it is not a directory
 * or has no manifest, EBADMANIFEST / ENEWERFORMAT for a rejected manifest.
 */
export async function loadManifest(dir: string): Promise<Manifest> {
  let st;
  try {
    st = await stat(dir);
  } catch (err) {
    throw fsError(err, dir, 'stat');
  }
  if (!st.isDirectory()) throw new EngineError('ENOTSTATE', `'${dir}': not a directory`);
  const path = join(dir, MANIFEST_NAME);
  let got;
  try {
    got = await readManifestBytes(dir);
  } catch (err) {
    throw fsError(err, path, 'read');
  }
  if ('missing' in got) throw new EngineError('ENOTSTATE', `'${dir}': no manifest.json`);
  if ('refused' in got) throw new EngineError('EBADMANIFEST', `'${dir}': ${got.refused}`);
  const bytes = got.bytes;
  try {
    return parseManifest(bytes);
  } catch (err) {
    if (err instanceof ManifestRejection) throw new EngineError(err.code, `'${dir}': ${err.reason}`);
    throw err;
  }
}

/** Problem texts (shared with the native twin). */
export const DETAIL = {
  missing: 'listed in the manifest but not found',
  unexpected: 'not listed in the manifest',
  notRegular: 'not a regular file',
  outside: 'a directory on its path is a symlink or not a directory',
  size: (expected: number, found: number) => `expected ${expected} bytes, found ${found}`,
  checksum: (expected: string, found: string) => `expected xxh3 ${expected}, found ${found}`,
};

/** Problems of the same path sort by fault in this order (as the native twin's enum). */
const FAULT_ORDER: Record<Problem['fault'], number> = {
  missing: 0,
  size: 1,
  checksum: 2,
  unexpected: 3,
  unreadable: 4,
};

type Check = { problem: Problem } | { ok: true; bytes?: Uint8Array };

async function checkFile(
  dir: string,
  f: Manifest['files'][number],
  mode: 'read' | 'stream',
  verify: boolean,
): Promise<Check> {
  const abs = join(dir, ...f.path.split('/'));
  const problem = (fault: Problem['fault'], detail: string): Check => ({ problem: { path: f.path, fault, detail } });
  let opened;
  try {
    opened = await openInState(dir, f.path);
  } catch (err) {
    if (isOutOfFds(err)) throw err; // mapLimit lowers the concurrency and retries
    return problem('unreadable', osText(err));
  }
  if ('refused' in opened) {
    if (opened.refused === 'missing') return problem('missing', DETAIL.missing);
    return problem('unreadable', opened.refused === 'outside' ? DETAIL.outside : DETAIL.notRegular);
  }
  const { fh, size } = opened;
  try {
    if (size !== f.size) return problem('size', DETAIL.size(f.size, size));
    if (mode === 'read') {
      const buf = await fh.readFile();
      if (buf.byteLength !== f.size) return problem('size', DETAIL.size(f.size, buf.byteLength));
      const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      if (verify) {
        const h = xxh3(bytes);
        if (h !== f.xxh3) return problem('checksum', DETAIL.checksum(f.xxh3, h));
      }
      return { ok: true, bytes };
    }
    const d = await hashHandle(fh, abs);
    if (d.size !== f.size) return problem('size', DETAIL.size(f.size, d.size));
    if (d.xxh3 !== f.xxh3) return problem('checksum', DETAIL.checksum(f.xxh3, d.xxh3));
    return { ok: true };
  } catch (err) {
    if (isOutOfFds(err)) throw err;
    return problem('unreadable', err instanceof EngineError ? err.message : osText(err));
  } finally {
    await fh.close().catch(() => undefined);
  }
}

async function check(dirIn: string, mode: 'read' | 'stream', verify: boolean): Promise<ReadStateResult> {
  const dir = resolve(dirIn);
  const manifest = await loadManifest(dir);
  const listed = new Set(manifest.files.map((f) => f.path));
  const [checks, tree] = await Promise.all([
    mapLimit(manifest.files, CONCURRENCY, (f) => checkFile(dir, f, mode, verify)),
    walkTree(dir).catch((err: unknown) => {
      // A name that is not UTF-8 cannot be listed: report it instead of failing the whole check.
      if (err instanceof EngineError && err.code === 'EBADENTRY') return err;
      throw err;
    }),
  ]);
  const problems: Problem[] = [];
  for (const c of checks) if ('problem' in c) problems.push(c.problem);
  if (tree instanceof EngineError) problems.push({ path: '', fault: 'unexpected', detail: tree.message });
  for (const e of tree instanceof EngineError ? [] : tree) {
    if (e.kind === 'dir' || e.rel === MANIFEST_NAME || listed.has(e.rel)) continue;
    problems.push({ path: e.rel, fault: 'unexpected', detail: DETAIL.unexpected });
  }
  problems.sort((a, b) => compareUtf8(a.path, b.path) || FAULT_ORDER[a.fault] - FAULT_ORDER[b.fault]);
  const files = new Map<string, Uint8Array>();
  if (problems.length === 0 && mode === 'read') {
    manifest.files.forEach((f, i) => {
      const c = checks[i] as { ok: true; bytes?: Uint8Array };
      files.set(f.path, c.bytes!);
    });
  }
  return { manifest, problems, files };
}

/** Reads a state: the manifest, its problems and (when there are none) every file's bytes. */
export function readState(dir: string, opts: { verify?: boolean } = {}): Promise<ReadStateResult> {
  return check(dir, 'read', opts.verify ?? true);
}

/** Checks a state without keeping the contents. */
export async function verifyState(dir: string): Promise<VerifyReport> {
  const { manifest, problems } = await check(dir, 'stream', true);
  return { manifest, problems };
}
