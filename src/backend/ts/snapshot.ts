/**
 * The twin of crates/engine/src/snapshot.rs: directory snapshots in two phases. Clones use
 * `fs.copyFile` with COPYFILE_FICLONE_FORCE (libuv's FICLONE ioctl on Linux), so a file system that
 * clones for the native engine clones for the twin too; copies read, hash and write each file in one
 * pass through the twin's writer, CONCURRENCY files at once.
 */
import { constants, type BigIntStats } from 'node:fs';
import { copyFile, lstat, mkdir, open, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { SnapshotDigest, SnapshotEntry, SnapshotListing } from '../types.js';
import { EngineError } from '../types.js';
import { CONCURRENCY, compareUtf8, errCode, fsError, fsyncDir, mapLimit } from './fsutil.js';
import { acquireHasher, releaseHasher } from './hash.js';
import { walkTree } from './walk.js';
import { createWriter } from './writer.js';

const CHUNK = 1 << 20;
/** Errors that mean "this file system does not clone" (EOPNOTSUPP is ENOTSUP on Linux). */
const NO_CLONE = new Set(['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EINVAL', 'ENOTTY', 'ENOSYS']);

function joinRel(root: string, rel: string): string {
  return join(root, ...rel.split('/'));
}

/** Clones `src` onto the new file `dst`; false when the file system cannot. */
async function cloneFile(src: string, dst: string): Promise<boolean> {
  try {
    await copyFile(src, dst, constants.COPYFILE_FICLONE_FORCE | constants.COPYFILE_EXCL);
    return true;
  } catch (err) {
    const code = errCode(err);
    if (code !== 'EEXIST') await unlink(dst).catch(() => undefined);
    if (code !== undefined && NO_CLONE.has(code)) return false;
    throw fsError(err, dst, 'clone');
  }
}

function mtimeNs(s: BigIntStats): string {
  return s.mtimeNs.toString();
}

export async function snapshotClone(srcIn: string, destIn: string): Promise<SnapshotListing> {
  const src = resolve(srcIn);
  const dest = resolve(destIn);
  let st;
  try {
    st = await stat(src);
  } catch (err) {
    throw fsError(err, src, 'stat');
  }
  if (!st.isDirectory()) throw new EngineError('EINVAL', `snapshot: '${src}' is not a directory`);
  if (dest === src || dest.startsWith(src.endsWith(sep) ? src : src + sep)) {
    throw new EngineError('EINVAL', `snapshot: the destination '${dest}' lies inside the source '${src}'`);
  }
  const dirs: string[] = [];
  const rels: string[] = [];
  for (const e of await walkTree(src)) {
    if (e.kind === 'dir') dirs.push(e.rel);
    else if (e.kind === 'file') rels.push(e.rel);
    else {
      throw new EngineError(
        'EBADENTRY',
        `snapshot: '${joinRel(src, e.rel)}' is not a regular file or directory (symlink or special file)`,
      );
    }
  }
  dirs.sort(compareUtf8);
  rels.sort(compareUtf8);
  try {
    await mkdir(dirname(dest), { recursive: true });
  } catch (err) {
    throw fsError(err, dirname(dest), 'mkdir');
  }
  for (const d of [dest, ...dirs.map((d) => joinRel(dest, d))]) {
    try {
      await mkdir(d);
    } catch (err) {
      throw fsError(err, d, 'mkdir');
    }
  }
  const clones = rels.length > 0 && (await cloneFile(joinRel(src, rels[0]!), joinRel(dest, rels[0]!)));
  const files = await mapLimit(rels, CONCURRENCY, async (rel, i): Promise<SnapshotEntry> => {
    const from = joinRel(src, rel);
    let s: BigIntStats;
    try {
      s = await lstat(from, { bigint: true });
    } catch (err) {
      throw fsError(err, from, 'stat');
    }
    const cloned = clones && (i === 0 || (await cloneFile(from, joinRel(dest, rel))));
    return { path: rel, size: Number(s.size), mtimeNs: mtimeNs(s), cloned };
  });
  return { dirs, files };
}

function changed(src: string, what: string): EngineError {
  return new EngineError('EIO', `snapshot: '${src}' changed while being snapshotted (${what} differs from the pause)`);
}

/** Hashes an existing file and fsyncs it. */
async function hashAndSync(path: string): Promise<{ size: number; xxh3: string }> {
  let fh;
  try {
    fh = await open(path, 'r+');
  } catch (err) {
    throw fsError(err, path, 'open');
  }
  const hasher = await acquireHasher();
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let size = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      hasher.update(buf.subarray(0, bytesRead));
      size += bytesRead;
    }
    await fh.sync();
    return { size, xxh3: hasher.digest('hex') };
  } catch (err) {
    throw fsError(err, path, 'read');
  } finally {
    releaseHasher(hasher);
    await fh.close().catch(() => undefined);
  }
}

/** Copies `src` to the new file `dst` through the twin's writer (hash + fsync). */
async function copyHashed(src: string, dst: string): Promise<{ size: number; xxh3: string }> {
  let fh;
  try {
    fh = await open(src, 'r');
  } catch (err) {
    throw fsError(err, src, 'open');
  }
  const writer = createWriter(dst);
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(CHUNK);
      let bytesRead: number;
      try {
        ({ bytesRead } = await fh.read(buf, 0, CHUNK, null));
      } catch (err) {
        throw fsError(err, src, 'read');
      }
      if (bytesRead === 0) break;
      await writer.append([buf.subarray(0, bytesRead)]);
    }
    return await writer.finish();
  } catch (err) {
    await writer.abort();
    throw err;
  } finally {
    await fh.close().catch(() => undefined);
  }
}

export async function snapshotCopy(srcIn: string, destIn: string, listing: SnapshotListing): Promise<SnapshotDigest[]> {
  const src = resolve(srcIn);
  const dest = resolve(destIn);
  const out = await mapLimit(listing.files, CONCURRENCY, async (e): Promise<SnapshotDigest> => {
    const from = joinRel(src, e.path);
    const to = joinRel(dest, e.path);
    if (e.cloned) return { path: e.path, ...(await hashAndSync(to)) };
    const d = await copyHashed(from, to);
    let s: BigIntStats;
    try {
      s = await lstat(from, { bigint: true });
    } catch {
      throw changed(from, 'existence');
    }
    if (Number(s.size) !== e.size || d.size !== e.size) throw changed(from, 'size');
    if (mtimeNs(s) !== e.mtimeNs) throw changed(from, 'modification time');
    return { path: e.path, ...d };
  });
  const dirs = [...listing.dirs].sort((a, b) => b.split('/').length - a.split('/').length);
  for (const d of dirs) await fsyncDir(joinRel(dest, d));
  await fsyncDir(dest);
  return out;
}
