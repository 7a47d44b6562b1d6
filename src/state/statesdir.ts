/** Creating a states directory durably. */
import { closeSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Creates `dir` (and missing parents) when it does not exist, then fsyncs the parent of every
 * directory it created, so the new directory survives a power cut. A no-op when `dir` exists.
 * @throws the fs error of mkdir or fsync (e.g. EACCES, ENOTDIR).
 */
export function ensureStatesDir(dir: string): void {
  const abs = resolve(dir);
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
