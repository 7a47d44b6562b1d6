/** Crash-safe removal: rename every state to a trash name, fsync each parent once, then delete the trash. */
import { lstat, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { RemoveOutcome } from '../types.js';
import { EngineError } from '../types.js';
import { CONCURRENCY, compareUtf8, errCode, errorText, fsError, fsyncDir, mapLimit, randomHex8 } from './fsutil.js';
import { isLeftover, TRASH_PREFIX } from './scan.js';

/** Renames `from` to `to` unless `to` exists (EEXIST). */
async function renameNoReplace(from: string, to: string): Promise<void> {
  try {
    await lstat(to);
    throw new EngineError('EEXIST', `rename '${from}' -> '${to}': target exists`);
  } catch (err) {
    if (err instanceof EngineError) throw err;
    if (errCode(err) !== 'ENOENT') throw fsError(err, to, 'stat');
  }
  try {
    await rename(from, to);
  } catch (err) {
    throw fsError(err, to, `rename '${from}' ->`);
  }
}

/** Removes a file, a symlink or a whole tree. */
async function removeAny(path: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    throw fsError(err, path, 'stat');
  }
  try {
    await rm(path, { recursive: st.isDirectory(), force: false });
  } catch (err) {
    throw fsError(err, path, 'remove');
  }
}

/** A state renamed out of its name: its parent directory and its trash path. */
interface Trashed {
  parent: string;
  trash: string;
}

/** Phase 1 for one path: renames the state to `.pamiq-trash-<name>-<8 hex>` in its directory. */
async function renameToTrash(path: string): Promise<Trashed | { error: string }> {
  const name = basename(path);
  if (name === '' || name === '.' || name === '..') {
    return { error: `EINVAL: '${path}': no state name` };
  }
  try {
    await lstat(path);
  } catch (err) {
    return { error: errorText(fsError(err, path, 'stat')) };
  }
  const parent = dirname(path);
  const trash = join(parent, `${TRASH_PREFIX}${name}-${randomHex8()}`);
  try {
    await renameNoReplace(path, trash);
  } catch (err) {
    return { error: errorText(err) };
  }
  return { parent, trash };
}

/** Runs `fn` over `items` with bounded concurrency; the error text of each failure, or undefined. */
function tryEach<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<(string | undefined)[]> {
  return mapLimit(items, CONCURRENCY, async (item) => {
    try {
      await fn(item);
      return undefined;
    } catch (err) {
      return errorText(err);
    }
  });
}

/**
 * Removes each path crash-safely; one outcome per path, in the given order. A path given twice is removed
 * once and each occurrence reports that outcome.
 *
 * 1. every state is renamed to its trash name (out of the state pattern: it can no longer be loaded or
 *    counted); a failure is that path's outcome (`removed: false`), the others go on;
 * 2. each distinct parent directory holding a renamed state is fsynced once, making the renames durable;
 *    if that fails, its states report `removed: true` with the error and their trash is kept (deleting it
 *    before the rename is durable could leave a half-deleted state after a crash);
 * 3. the trash trees are deleted; a failure reports `removed: true` with the error, and the trash is a
 *    leftover that removeLeftovers clears.
 */
export async function removeStates(paths: string[]): Promise<RemoveOutcome[]> {
  const unique = [...new Set(paths)];

  // Phase 1: rename every target to its trash name.
  const renamed = await mapLimit(unique, CONCURRENCY, renameToTrash);
  const trashed = renamed.filter((r): r is Trashed => !('error' in r));

  // Phase 2: fsync each distinct parent of a renamed state, once.
  const parents = [...new Set(trashed.map((t) => t.parent))];
  const synced = await tryEach(parents, fsyncDir);
  const syncError = new Map<string, string>();
  parents.forEach((d, i) => {
    const e = synced[i];
    if (e !== undefined) syncError.set(d, e);
  });

  // Phase 3: delete the trash trees of the durably renamed states.
  const doomed = trashed.filter((t) => !syncError.has(t.parent));
  const deleted = await tryEach(doomed, (t) => removeAny(t.trash));
  const deleteError = new Map<Trashed, string>();
  doomed.forEach((t, i) => {
    const e = deleted[i];
    if (e !== undefined) deleteError.set(t, e);
  });

  const byPath = new Map<string, RemoveOutcome>();
  unique.forEach((path, i) => {
    const r = renamed[i]!;
    if ('error' in r) {
      byPath.set(path, { path, removed: false, error: r.error });
      return;
    }
    const error = syncError.get(r.parent) ?? deleteError.get(r);
    byPath.set(path, error === undefined ? { path, removed: true } : { path, removed: true, error });
  });
  return paths.map((p) => ({ ...byPath.get(p)! }));
}

/** Deletes every `.pamiq-tmp-*` / `.pamiq-trash-*` entry of `dir`; returns the names removed, sorted. */
export async function removeLeftovers(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw fsError(err, dir, 'scandir');
  }
  const leftovers = names.filter(isLeftover).sort(compareUtf8);
  const results = await mapLimit(leftovers, CONCURRENCY, async (name) => {
    try {
      await removeAny(join(dir, name));
      return undefined;
    } catch (err) {
      return err as EngineError;
    }
  });
  const removed: string[] = [];
  let first: EngineError | undefined;
  leftovers.forEach((name, i) => {
    const e = results[i];
    if (!e) removed.push(name);
    else if (e.code !== 'ENOENT') first ??= e;
  });
  if (first) throw first;
  if (removed.length > 0) await fsyncDir(dir);
  return removed;
}
