/** File-system helpers shared by the twin: error mapping, fsync of files and directories, bounded concurrency. */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError } from '../types.js';

/**
 * How many file operations run at once at most (hashing, fsync, reads, removals). {@link mapLimit}
 * lowers it while the process is out of file descriptors (EMFILE / ENFILE).
 */
export const CONCURRENCY = 32;

const isWindows = process.platform === 'win32';

interface NodeErr {
  code?: unknown;
  errno?: unknown;
  message?: unknown;
}

/** glibc's strerror texts of the errors a state engine meets (the Rust twin prints these). */
const STRERROR: Record<string, string> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EIO: 'Input/output error',
  EBADF: 'Bad file descriptor',
  EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  EXDEV: 'Invalid cross-device link',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EINVAL: 'Invalid argument',
  ENFILE: 'Too many open files in system',
  EMFILE: 'Too many open files',
  EFBIG: 'File too large',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  ENAMETOOLONG: 'File name too long',
  ENOTEMPTY: 'Directory not empty',
  ELOOP: 'Too many levels of symbolic links',
  EDQUOT: 'Disk quota exceeded',
  ESTALE: 'Stale file handle',
};

/**
 * The OS text of a Node error in the form Rust's `io::Error` prints it, e.g.
 * `No such file or directory (os error 2)`, so both twins report the same text.
 */
export function osText(err: unknown): string {
  const e = err as NodeErr;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const errno = typeof e?.errno === 'number' ? Math.abs(e.errno) : undefined;
  let text = code ? STRERROR[code] : undefined;
  if (!text) {
    // libuv's text: "CODE: text, syscall 'path'".
    text = typeof e?.message === 'string' ? e.message : String(err);
    if (code && text.startsWith(`${code}: `)) {
      text = text.slice(code.length + 2);
      const comma = text.indexOf(', ');
      if (comma >= 0) text = text.slice(0, comma);
      text = text.charAt(0).toUpperCase() + text.slice(1);
    }
  }
  return errno !== undefined && code ? `${text} (os error ${errno})` : text;
}

/** The Node error code of `err`, if any. */
export function errCode(err: unknown): string | undefined {
  const c = (err as NodeErr)?.code;
  return typeof c === 'string' ? c : undefined;
}

/**
 * Maps an error from Node's fs to an {@link EngineError}: ENOENT and EEXIST keep their code, anything
 * else becomes EIO; the message is `<op> '<path>': <OS text>`. EngineErrors pass through.
 */
export function fsError(err: unknown, path: string, op: string): EngineError {
  if (err instanceof EngineError) return err;
  const code = errCode(err);
  const engineCode = code === 'ENOENT' || code === 'EEXIST' ? code : 'EIO';
  const e = new EngineError(engineCode, `${op} '${path}': ${osText(err)}`);
  // The OS code, for retries on EMFILE (not part of the contract; not enumerable).
  if (code) Object.defineProperty(e, 'osCode', { value: code, enumerable: false });
  return e;
}

/** Whether `err` (a Node error or an EngineError made by {@link fsError}) is EMFILE or ENFILE. */
export function isOutOfFds(err: unknown): boolean {
  const codes = [errCode(err), (err as { osCode?: unknown } | undefined)?.osCode];
  return codes.includes('EMFILE') || codes.includes('ENFILE');
}

/** `CODE: message`, as outcome texts carry errors. */
export function errorText(err: unknown): string {
  if (err instanceof EngineError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** fsync of a regular file by path. */
export async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, isWindows ? 'r+' : 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync of a directory (makes renames and new entries durable); a no-op on Windows. */
export async function fsyncDir(path: string): Promise<void> {
  if (isWindows) return;
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw fsError(err, path, 'open directory');
  }
  try {
    await fh.sync();
  } catch (err) {
    throw fsError(err, path, 'fsync directory');
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * Runs `fn` over `items` with at most `limit` in flight; results in input order. Rejects with the first
 * error after all settled. When an item fails because the process is out of file descriptors
 * (EMFILE / ENFILE), the concurrency is halved (down to 1) and the item retried after a short pause;
 * with one item in flight it is retried a few times with a growing pause before the error counts.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  let firstError: unknown;
  let allowed = Math.max(1, limit);
  let active = 0;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length && active < allowed) {
      const i = next++;
      active++;
      try {
        for (let aloneTries = 0; ; ) {
          try {
            results[i] = await fn(items[i]!, i);
            break;
          } catch (err) {
            const alone = active === 1;
            if (!isOutOfFds(err) || (alone && aloneTries >= FD_RETRIES)) throw err;
            allowed = Math.max(1, Math.min(allowed, active) >> 1);
            await sleep(alone ? 10 << Math.min(aloneTries++, 6) : 5);
          }
        }
      } catch (err) {
        if (!failed) {
          failed = true;
          firstError = err;
        }
      } finally {
        active--;
      }
    }
  };
  const workers: Promise<void>[] = [];
  for (let w = 0; w < Math.min(allowed, items.length); w++) workers.push(worker());
  await Promise.all(workers);
  if (failed) throw firstError;
  return results;
}

/** Runs `fn`, retrying it with a growing pause (10 ms … 640 ms) while it fails with EMFILE / ENFILE. */
export async function retryOnFds<T>(fn: () => Promise<T>): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      return await fn();
    } catch (err) {
      if (!isOutOfFds(err) || tries >= FD_RETRIES) throw err;
      await sleep(10 << Math.min(tries, 6));
    }
  }
}

/** Retries of one item alone on EMFILE before it fails (pauses 10 ms … 640 ms, ~2.5 s in all). */
const FD_RETRIES = 8;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Why {@link openRegular} opened nothing. */
export type OpenRefusal = 'missing' | 'not-regular' | 'outside';

/**
 * Opens `path` for reading if, and only if, it is a regular file: a symlink at its last component is not
 * followed and a FIFO or device never blocks (`O_NOFOLLOW | O_NONBLOCK`, then fstat). Returns the
 * handle and size, or why not; other OS errors are thrown as they are.
 */
export async function openRegular(path: string): Promise<{ fh: FileHandle; size: number } | { refused: OpenRefusal }> {
  let fh: FileHandle;
  try {
    if (isWindows) {
      const st = await lstat(path);
      if (!st.isFile()) return { refused: 'not-regular' };
      fh = await open(path, 'r');
    } else {
      fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    }
  } catch (err) {
    const code = errCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return { refused: 'missing' };
    if (code === 'ELOOP' || code === 'ENXIO' || code === 'EISDIR') return { refused: 'not-regular' };
    throw err;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      await fh.close().catch(() => undefined);
      return { refused: 'not-regular' };
    }
    return { fh, size: st.size };
  } catch (err) {
    await fh.close().catch(() => undefined);
    throw err;
  }
}

/**
 * Opens `root/rel` (`rel` `/`-separated, already validated) without leaving `root`: every directory on
 * the way must be a real directory (lstat, no symlink), the file a regular file ({@link openRegular}).
 */
export async function openInState(
  root: string,
  rel: string,
): Promise<{ fh: FileHandle; size: number } | { refused: OpenRefusal }> {
  const parts = rel.split('/');
  let p = root;
  for (const part of parts.slice(0, -1)) {
    p = join(p, part);
    try {
      const st = await lstat(p);
      if (!st.isDirectory()) return { refused: 'outside' };
    } catch (err) {
      if (errCode(err) === 'ENOENT') return { refused: 'missing' };
      throw err;
    }
  }
  return openRegular(join(p, parts[parts.length - 1]!));
}

/** 8 random lowercase hex digits (temporary and trash names). */
export function randomHex8(): string {
  return randomBytes(4).toString('hex');
}

/** Compares two strings by the byte order of their UTF-8 encodings (as Rust's `str` Ord does). */
export function compareUtf8(a: string, b: string): number {
  // UTF-16 code-unit order equals UTF-8 byte order except around surrogates; compare by code points.
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    const sa = ca >= 0xd800 && ca <= 0xdfff;
    const sb = cb >= 0xd800 && cb <= 0xdfff;
    if (sa === sb) return ca - cb;
    // A surrogate (code point >= 0x10000) sorts after every BMP unit outside the surrogate range.
    return sa ? 1 : -1;
  }
  return a.length - b.length;
}
