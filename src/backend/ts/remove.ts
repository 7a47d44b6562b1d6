/** Crash-safe removal: rename to a trash name, fsync the parent, then delete. */
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

async function removeOne(path: string): Promise<RemoveOutcome> {
  const name = basename(path);
  if (name === '' || name === '.' || name === '..') {
    return { path, removed: false, error: `EINVAL: '${path}': no state name` };
  }
  try {
    await lstat(path);
  } catch (err) {
    return { path, removed: false, error: errorText(fsError(err, path, 'stat')) };
  }
  const parent = dirname(path);
  const trash = join(parent, `${TRASH_PREFIX}${name}-${randomHex8()}`);
  try {
    await renameNoReplace(path, trash);
  } catch (err) {
    return { path, removed: false, error: errorText(err) };
  }
  // From here on the state is gone from its name: removed, even if what follows fails (the trash is then
  // a leftover for removeLeftovers).
  try {
    await fsyncDir(parent);
    await removeAny(trash);
  } catch (err) {
    return { path, removed: true, error: errorText(err) };
  }
  return { path, removed: true };
}

export async function removeStates(paths: string[]): Promise<RemoveOutcome[]> {
  // A path given twice is removed once; each occurrence reports that outcome.
  const unique = [...new Set(paths)];
  const outcomes = await mapLimit(unique, CONCURRENCY, removeOne);
  const byPath = new Map(unique.map((p, i) => [p, outcomes[i]!]));
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
