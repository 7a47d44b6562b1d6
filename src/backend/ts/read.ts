/**
 * readState / verifyState: parse and check the manifest, then check every listed file (size, XXH3) and
 * look for files the manifest does not list.
 */
import { lstat, open, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FileDigest, Manifest, Problem, ReadStateResult, VerifyReport } from '../types.js';
import { EngineError } from '../types.js';
import { CONCURRENCY, compareUtf8, errCode, fsError, mapLimit, osText } from './fsutil.js';
import { acquireHasher, releaseHasher, xxh3 } from './hash.js';
import { MANIFEST_NAME, ManifestRejection, parseManifest } from './manifest.js';
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
    if (opts.sync) await fh.sync();
    return { size, xxh3: hasher.digest('hex') };
  } catch (err) {
    throw fsError(err, path, 'read');
  } finally {
    releaseHasher(hasher);
    await fh.close().catch(() => undefined);
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
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if (errCode(err) === 'ENOENT') throw new EngineError('ENOTSTATE', `'${dir}': no manifest.json`);
    throw fsError(err, path, 'read');
  }
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
  size: (expected: number, found: number) => `expected ${expected} bytes, found ${found}`,
  checksum: (expected: string, found: string) => `expected xxh3 ${expected}, found ${found}`,
};

/** Problems of the same path sort by fault in this order (as the native twin's enum). */
const FAULT_ORDER: Record<Problem['fault'], number> = { missing: 0, size: 1, checksum: 2, unexpected: 3, unreadable: 4 };

type Check = { problem: Problem } | { ok: true; bytes?: Uint8Array };

async function checkFile(dir: string, f: Manifest['files'][number], mode: 'read' | 'stream', verify: boolean): Promise<Check> {
  const abs = join(dir, ...f.path.split('/'));
  const problem = (fault: Problem['fault'], detail: string): Check => ({ problem: { path: f.path, fault, detail } });
  let st;
  try {
    st = await lstat(abs);
  } catch (err) {
    const code = errCode(err);
    if (code === 'ENOENT') return problem('missing', DETAIL.missing);
    return problem('unreadable', osText(err));
  }
  if (!st.isFile()) return problem('unreadable', DETAIL.notRegular);
  if (st.size !== f.size) return problem('size', DETAIL.size(f.size, st.size));
  try {
    if (mode === 'read') {
      const buf = await readFile(abs);
      if (buf.byteLength !== f.size) return problem('size', DETAIL.size(f.size, buf.byteLength));
      const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      if (verify) {
        const h = xxh3(bytes);
        if (h !== f.xxh3) return problem('checksum', DETAIL.checksum(f.xxh3, h));
      }
      return { ok: true, bytes };
    }
    const d = await hashFile(abs);
    if (d.size !== f.size) return problem('size', DETAIL.size(f.size, d.size));
    if (d.xxh3 !== f.xxh3) return problem('checksum', DETAIL.checksum(f.xxh3, d.xxh3));
    return { ok: true };
  } catch (err) {
    return problem('unreadable', err instanceof EngineError ? err.message : osText(err));
  }
}

async function check(dirIn: string, mode: 'read' | 'stream', verify: boolean): Promise<ReadStateResult> {
  const dir = resolve(dirIn);
  const manifest = await loadManifest(dir);
  const listed = new Set(manifest.files.map((f) => f.path));
  const [checks, tree] = await Promise.all([
    mapLimit(manifest.files, CONCURRENCY, (f) => checkFile(dir, f, mode, verify)),
    walkTree(dir),
  ]);
  const problems: Problem[] = [];
  for (const c of checks) if ('problem' in c) problems.push(c.problem);
  for (const e of tree) {
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
