/**
 * One writer per states directory, for both backends and between them (docs/engine.md, "The
 * states-directory lock").
 *
 * Protocol. Every process that wants the directory writes a *claim*: its holder info (pid, host,
 * boot id, pid namespace, process start time, since) goes to a fresh temporary file, created with
 * O_CREAT|O_EXCL|O_NOFOLLOW (a planted symlink is never followed) and fsynced; the native backend also
 * holds an advisory OS lock (flock / LockFileEx) on that file for the life of the process. The file is
 * then renamed to its protocol name `.pamiq.lock.<ms>-<pid>-<random>` (unique, never reused, so the
 * rename never replaces anything), so a claim is complete whenever its name exists. Then the process lists the claims:
 * - a claim whose holder is gone is removed (its unique name is never created again, so removing it
 *   cannot remove a live claim);
 * - if any other live claim remains, an older one (smaller name) makes it back off at once (unlink its
 *   claim, throw {@link StatesDirLockedError}); newer ones only are waited for, up to
 *   {@link WAIT_MS}, since their owners back off on seeing ours;
 * - with no other live claim, it holds the directory until {@link StatesDirLock.release} (unlink the
 *   claim, then drop the OS lock) or its death.
 *
 * Why no two processes hold at once: say A and B both hold, A's claim named first. B's final listing
 * happened after B named its claim, so after A's, while A's claim existed (A holds and never unlinked it,
 * and nobody removes a live claim) — an entry present for the whole listing is always listed — so B
 * saw A's live claim and could not hold. This needs only that a live holder is never judged gone:
 * - a claim written under an OS lock is judged by that lock, which the kernel drops when the process
 *   dies, whatever its pid becomes and whichever container it ran in (native backend only: Node has no
 *   file locks, so the twin cannot probe it and falls back to the next rule);
 * - otherwise by pid on the same host: gone when the machine rebooted since (boot id), when the pid
 *   does not exist, or when it belongs to a process that started at another time (a reused pid).
 *   Claims from another host or pid namespace cannot be judged: they count as live, and the error says
 *   which file to delete if their process is known to be gone.
 * Regular files under the claim prefix that are not claims (unparsable) and non-files are ignored
 * with a warning: the protocol never creates them.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  renameSync,
  unlinkSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { engine } from '../backend/select.js';
import type { LockClaim } from '../backend/types.js';
import { getLogger } from '../log.js';
import { StatesDirLockedError } from './errors.js';
import { ensureStatesDir, resolveStatesDir } from './statesdir.js';

const log = getLogger('state.lock');

/** Prefix of claim names in the states directory. */
export const CLAIM_PREFIX = '.pamiq.lock.';
/** Prefix of a claim file before it is renamed to its claim name. */
export const CLAIM_TMP_PREFIX = '.pamiq-lock-tmp.';
/** How long a claim waits for newer claims to back off. */
export const WAIT_MS = 500;
/** Claim files larger than this are not claims. */
const MAX_CLAIM_BYTES = 4096;
/** Temporary claim files older than this are leftovers of a crash and removed. */
const TMP_MAX_AGE_MS = 60_000;

/** What a claim file says about its holder. */
export interface ClaimInfo {
  pid: number;
  host: string;
  since: string;
  /** True when written under an OS lock (native backend). */
  osLock: boolean;
  /** Linux: /proc/sys/kernel/random/boot_id. */
  bootId?: string;
  /** Linux: the pid namespace, e.g. `pid:[4026531836]`. */
  pidNs?: string;
  /** Linux: process start time in clock ticks since boot (/proc/<pid>/stat field 22). */
  startTicks?: string;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function procStartTicks(pid: number): string | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}

function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

/** This process as claims describe it; /proc fields only where /proc exists. */
function self(): Omit<ClaimInfo, 'since' | 'osLock'> {
  return {
    pid: process.pid,
    host: hostname(),
    bootId: readText('/proc/sys/kernel/random/boot_id'),
    pidNs: pidNamespace(),
    startTicks: procStartTicks(process.pid),
  };
}

type Verdict = { state: 'live' } | { state: 'gone'; why: string } | { state: 'unknown'; why: string };

/** Whether the holder of a claim still runs (see the module comment for the rules). */
function judge(info: ClaimInfo, probe: string, me: ReturnType<typeof self>): Verdict {
  if (info.osLock && probe === 'held') return { state: 'live' };
  if (info.osLock && probe === 'free') return { state: 'gone', why: 'released its OS lock: it is no longer running' };
  if (info.host !== me.host) return { state: 'unknown', why: `it was written on host '${info.host}'` };
  if (me.bootId && info.bootId && info.bootId !== me.bootId)
    return { state: 'gone', why: 'ran before the machine rebooted' };
  if (info.pidNs !== me.pidNs) return { state: 'unknown', why: 'it was written in another pid namespace (container)' };
  if (me.startTicks !== undefined) {
    const ticks = procStartTicks(info.pid);
    if (ticks === undefined) return { state: 'gone', why: 'is no longer running' };
    if (info.startTicks !== undefined && ticks !== info.startTicks) {
      return { state: 'gone', why: 'is no longer running (its pid now belongs to another process)' };
    }
    return { state: 'live' };
  }
  try {
    process.kill(info.pid, 0);
    return { state: 'live' };
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
      ? { state: 'live' }
      : { state: 'gone', why: 'is no longer running' };
  }
}

/** Reads a claim without following symlinks or opening special files; undefined when it is no claim. */
function readClaim(path: string): ClaimInfo | 'missing' | undefined {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return 'missing';
  }
  if (!st.isFile() || st.size > MAX_CLAIM_BYTES) return undefined;
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : undefined;
  }
  try {
    const buf = Buffer.alloc(MAX_CLAIM_BYTES + 1);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const info = JSON.parse(buf.subarray(0, n).toString('utf8')) as ClaimInfo;
    if (typeof info !== 'object' || info === null || !Number.isSafeInteger(info.pid) || typeof info.host !== 'string')
      return undefined;
    return { ...info, since: String(info.since), osLock: info.osLock === true };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

interface Blocker {
  name: string;
  path: string;
  info: ClaimInfo;
  verdict: Verdict;
}

/**
 * The locks this process holds, until released: a lock the caller no longer references must not be
 * collected, because collecting it closes its OS lock (native backend) and another process could take
 * the directory over while this one still uses it.
 */
const held = new Set<StatesDirLock>();

export class StatesDirLock {
  private released = false;
  private constructor(
    /** Absolute path of this process's claim file. */
    readonly path: string,
    private readonly claim: LockClaim,
  ) {}

  /**
   * Takes the lock of `statesDir` (created if missing, its parent fsynced), removing claims whose
   * holders are gone with a warning.
   * @throws StatesDirLockedError when another live process holds it, or one that cannot be judged
   *   (another host or container: the message names the claim file to delete if it is gone).
   * @throws the fs / EngineError of creating the directory or the claim file.
   */
  static acquire(statesDir: string): StatesDirLock {
    const dir = resolveStatesDir(statesDir);
    ensureStatesDir(dir);
    const me = self();
    const token = `${String(Date.now()).padStart(15, '0')}-${process.pid}-${randomBytes(8).toString('hex')}`;
    const name = CLAIM_PREFIX + token;
    const path = join(dir, name);
    const tmp = join(dir, CLAIM_TMP_PREFIX + token);
    const osLock = engine().name === 'native';
    const info: ClaimInfo = { ...me, since: new Date().toISOString(), osLock };
    const claim = engine().createLockClaim(tmp, JSON.stringify(info));
    try {
      renameSync(tmp, path);
    } catch (err) {
      unlinkQuiet(tmp);
      claim.release();
      throw err;
    }
    const lock = new StatesDirLock(path, claim);
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      let blockers: Blocker[];
      try {
        blockers = otherClaims(dir, name, me);
      } catch (err) {
        lock.release();
        throw err;
      }
      if (blockers.length === 0) {
        held.add(lock);
        return lock;
      }
      const older = blockers.filter((b) => b.name < name);
      if (older.length > 0 || Date.now() >= deadline) {
        lock.release();
        const b = (older.length > 0 ? older : blockers)[0]!;
        const hint =
          b.verdict.state === 'unknown'
            ? ` This process cannot tell whether it still runs (${b.verdict.why}); if it does not, delete '${b.path}'.`
            : ' Stop it first, or use another states directory.';
        throw new StatesDirLockedError(dir, b.info.pid, `${b.info.since} on host ${b.info.host}`, hint);
      }
      sleepSync(1 + Math.random() * 4);
    }
  }

  /** Removes this process's claim, then drops its OS lock. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    held.delete(this);
    unlinkQuiet(this.path);
    this.claim.release();
  }
}

/** The live (or unjudgeable) claims of `dir` other than `mine`, oldest first; removes gone ones. */
function otherClaims(dir: string, mine: string, me: ReturnType<typeof self>): Blocker[] {
  const blockers: Blocker[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (name.startsWith(CLAIM_TMP_PREFIX)) {
      removeOldTmp(path);
      continue;
    }
    if (!name.startsWith(CLAIM_PREFIX) || name === mine) continue;
    const info = readClaim(path);
    if (info === 'missing') continue;
    if (info === undefined) {
      log.warn(`Ignoring '${path}': not a lock claim (the lock only ever writes small JSON files there)`);
      continue;
    }
    const verdict = judge(info, engine().probeLockClaim(path), me);
    if (verdict.state === 'gone') {
      log.warn(`Taking over the lock of '${dir}' left by process ${info.pid}, which ${verdict.why}`);
      unlinkQuiet(path);
      continue;
    }
    blockers.push({ name, path, info, verdict });
  }
  return blockers;
}

/** A temporary claim file is never part of the protocol; one left by a crash is removed after a while. */
function removeOldTmp(path: string): void {
  try {
    const st = lstatSync(path);
    if (Date.now() - st.mtimeMs > TMP_MAX_AGE_MS) unlinkQuiet(path);
  } catch {
    // gone
  }
}
