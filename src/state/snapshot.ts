/**
 * Directory snapshots: a component that keeps its own files (an index, a replay store on disk, a
 * database directory) puts them into the state being saved with {@link snapshot}, called from its
 * `saveState(path)`, and gets them back with {@link restore} (or reads them in place) in `loadState`.
 *
 * What is copied when, and the consistency a component gets:
 * - During the pause (inside `saveState`), the tree is listed (sizes, modification times) and, where
 *   the file system clones copy-on-write (Btrfs, XFS with reflink, bcachefs, …: the Linux FICLONE
 *   ioctl), every file is cloned. A clone is the file as it was at that moment; the component may
 *   change `srcDir` freely as soon as `saveState` returns.
 * - Without clones, the bytes are copied after the loops resumed, in the save's write phase, many files
 *   at once. Files created after the pause are not in the state. A listed file that is modified, grows,
 *   shrinks or disappears before it is copied (detected by size and nanosecond modification time)
 *   makes the save fail with a SaveError naming it — earlier states are untouched, the system keeps
 *   running. So a component that keeps writing meanwhile should write new files (segments, append-only
 *   logs rotated into new files) rather than rewrite listed ones, or pass `{ copy: 'pause' }`: then
 *   every byte is copied while the loops are paused (a longer pause, a consistent copy on any file system).
 * Either way every file is hashed into the manifest and verified at load like any other state file.
 *
 * Outside a save, both phases run at once: `snapshot` is then a parallel, fsynced directory copy.
 */
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { engine } from '../backend/select.js';
import type { FileDigest, SnapshotDigest } from '../backend/types.js';
import { deferWrite } from '../persistence/component-files.js';

export interface SnapshotOptions {
  /**
   * `'auto'` (default): clone during the pause where the file system can, copy the rest after it.
   * `'pause'`: copy everything during the pause.
   */
  copy?: 'auto' | 'pause';
}

function digestsByPath(dest: string, digests: SnapshotDigest[]): Map<string, FileDigest> {
  return new Map(digests.map(({ path, size, xxh3 }) => [join(dest, ...path.split('/')), { size, xxh3 }]));
}

/**
 * Puts the tree `srcDir` into `dest` (a path inside the state, usually `join(path, 'files')`).
 * @throws EngineError: EINVAL when `srcDir` is not a directory or `dest` lies inside it, ENOENT when
 *   `srcDir` does not exist, EEXIST when `dest` exists, EBADENTRY for a symlink or special file in the
 *   tree, EIO for a file that changed while it was copied (outside a save; inside one the save fails).
 * @throws RangeError for an unknown `copy` option.
 */
export async function snapshot(srcDir: string, dest: string, options: SnapshotOptions = {}): Promise<void> {
  const mode = options.copy ?? 'auto';
  if (mode !== 'auto' && mode !== 'pause')
    throw new RangeError(`snapshot: copy must be 'auto' or 'pause', got '${String(mode)}'`);
  const src = resolve(srcDir);
  const to = resolve(dest);
  const e = engine();
  const listing = await removingOnFailure(to, () => e.snapshotClone(src, to));
  const copy = () => removingOnFailure(to, async () => digestsByPath(to, await e.snapshotCopy(src, to, listing)));
  if (mode === 'pause') {
    const digests = await copy();
    deferWrite(to, async () => digests);
    return;
  }
  if (!deferWrite(to, copy)) await copy();
}

/** Runs `fn`; on failure removes the partial copy `dest` (unless it existed before: EEXIST). */
async function removingOnFailure<T>(dest: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'EEXIST')
      await rm(dest, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
}

export interface RestoreOptions {
  /** Remove `destDir` first if it exists (default false: an existing `destDir` is an EEXIST error). */
  replace?: boolean;
}

/**
 * Copies a snapshot `src` (e.g. `join(path, 'files')` in `loadState`) to `destDir`: cloned where the
 * file system can, copied in parallel otherwise, every file and directory fsynced. A component may
 * also read the snapshot in place; it must not modify it (that would corrupt the state).
 * @throws EngineError as {@link snapshot} (EEXIST when `destDir` exists and `replace` is not set).
 */
export async function restore(src: string, destDir: string, options: RestoreOptions = {}): Promise<void> {
  const from = resolve(src);
  const to = resolve(destDir);
  if (options.replace) await rm(to, { recursive: true, force: true });
  const e = engine();
  await removingOnFailure(to, async () => e.snapshotCopy(from, to, await e.snapshotClone(from, to)));
}
