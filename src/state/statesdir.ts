/** Naming a states directory (one resolution for the whole library) and creating it durably. */
import { closeSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Where launch() writes states when its config gives no `statesDir`: `./states` of the working directory. */
export const DEFAULT_STATES_DIR = './states';

/**
 * The absolute path of a states directory: the one form in which StateStore, the keepers, the
 * states-dir lock, the scans, launch's config and the remote's downloads hold and compare it.
 *
 * Precedence, for launch(): the config's `statesDir`, else {@link DEFAULT_STATES_DIR}; a
 * `LatestStatesKeeper` must name the same directory (the config check says so otherwise), and a
 * custom keeper without its own `statesDir` is given the config's. Everywhere else the directory is the
 * one passed. A relative path is taken against the working directory at the time of the call, so an
 * object that resolved it keeps its directory when the process changes directory later.
 * @throws TypeError unless `dir` is a non-empty string.
 */
export function resolveStatesDir(dir: string): string {
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new TypeError(`statesDir must be a non-empty path, got ${dir === '' ? 'an empty string' : typeof dir}`);
  }
  return resolve(dir);
}

/**
 * Creates `dir` (and missing parents) when it does not exist, then fsyncs the parent of every
 * directory it created, so the new directory survives a power cut. A no-op when `dir` exists.
 * @throws the fs error of mkdir or fsync (e.g. EACCES, ENOTDIR).
 */
export function ensureStatesDir(dir: string): void {
  const abs = resolveStatesDir(dir);
  const first = mkdirSync(abs, { recursive: true });
  if (first === undefined || process.platform === 'win32') return;
  for (let p = abs; ; p = dirname(p)) {
    const fd = openSync(dirname(p), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (p === resolve(first) || dirname(p) === p) break;
  }
}
