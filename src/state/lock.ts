/**
 * One writer per states directory: a lock file `.pamiq.lock` holding the owner's pid and host. A lock
 * left by a process that no longer exists (on this host) is taken over with a warning.
 */
import { hostname } from 'node:os';
import { mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync, closeSync, fsyncSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { getLogger } from '../log.js';
import { StatesDirLockedError } from './errors.js';

const log = getLogger('state.lock');
const LOCK_NAME = '.pamiq.lock';

interface LockInfo {
  pid: number;
  host: string;
  since: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function writeLockFile(path: string, info: LockInfo, exclusive: boolean) {
  const fd = openSync(path, exclusive ? 'wx' : 'w');
  try {
    writeSync(fd, JSON.stringify(info));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class StatesDirLock {
  private released = false;
  private constructor(readonly path: string) {}

  /**
   * Takes the lock of `statesDir` (created if missing).
   * @throws StatesDirLockedError when a live process holds it.
   */
  static acquire(statesDir: string): StatesDirLock {
    const dir = resolve(statesDir);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, LOCK_NAME);
    const mine: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        writeLockFile(path, mine, true);
        return new StatesDirLock(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      let holder: LockInfo | undefined;
      try {
        holder = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
      } catch {
        holder = undefined; // unreadable or half-written: treat as stale
      }
      if (holder && holder.host === mine.host && holder.pid !== process.pid && alive(holder.pid)) {
        throw new StatesDirLockedError(dir, holder.pid, holder.since);
      }
      if (holder && holder.host !== mine.host) {
        throw new StatesDirLockedError(dir, holder.pid, `${holder.since} on host ${holder.host}`);
      }
      log.warn(
        holder
          ? `Taking over the lock of '${dir}' left by process ${holder.pid}, which is no longer running`
          : `Taking over an unreadable lock file in '${dir}'`,
      );
      const tmp = `${path}.${process.pid}`;
      writeLockFile(tmp, mine, false);
      renameSync(tmp, path);
      // Two processes may take over the same stale lock at once; the last rename wins, so re-read.
      if ((JSON.parse(readFileSync(path, 'utf8')) as LockInfo).pid === process.pid) return new StatesDirLock(path);
    }
    throw new Error(`Could not take the lock of '${dir}'`);
  }

  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    try {
      const info = JSON.parse(readFileSync(this.path, 'utf8')) as LockInfo;
      if (info.pid === process.pid) unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}
