/**
 * The twin's half of the states-directory lock. Node has no advisory file locks, so a claim file is
 * only created (exclusively, never through a symlink) and its liveness is left to the protocol's
 * pid / start-time check (src/state/lock.ts, docs/engine.md "The states-directory lock").
 */
import { closeSync, constants, fsyncSync, lstatSync, openSync, unlinkSync, writeSync } from 'node:fs';
import type { ClaimProbe, LockClaim } from '../types.js';
import { errCode, fsError } from './fsutil.js';

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

export function createLockClaim(path: string, contents: string): LockClaim {
  let fd: number;
  try {
    fd = openSync(path, CREATE_FLAGS, 0o644);
  } catch (err) {
    throw fsError(err, path, 'create lock file');
  }
  let op = 'write';
  try {
    writeSync(fd, contents);
    op = 'fsync';
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try {
      unlinkSync(path);
    } catch {
      // best effort: the claim is not linked under its protocol name yet
    }
    throw fsError(err, path, op);
  }
  closeSync(fd);
  return { osLock: false, release: () => undefined };
}

export function probeLockClaim(path: string): ClaimProbe {
  try {
    return lstatSync(path).isFile() ? 'unknown' : 'not-a-file';
  } catch (err) {
    if (errCode(err) === 'ENOENT') return 'missing';
    throw fsError(err, path, 'stat');
  }
}
