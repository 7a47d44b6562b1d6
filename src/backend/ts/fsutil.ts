/** File-system helpers shared by the twin: error mapping, fsync of files and directories, bounded concurrency. */
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { EngineError } from '../types.js';

/** How many file operations run at once (hashing, fsync, reads, removals). */
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
  return new EngineError(engineCode, `${op} '${path}': ${osText(err)}`);
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

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. Rejects with the first error after all settled. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (err) {
        if (!failed) {
          failed = true;
          firstError = err;
        }
      }
    }
  };
  const workers: Promise<void>[] = [];
  for (let w = 0; w < Math.min(limit, items.length); w++) workers.push(worker());
  await Promise.all(workers);
  if (failed) throw firstError;
  return results;
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
