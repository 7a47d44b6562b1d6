/**
 * The streaming file writer: exclusive create, writes in order through a bounce buffer (each chunk of
 * the caller's bytes is copied once, then hashed and written from the copy, so the hash always matches
 * the file even if the caller mutates its arrays meanwhile; partial writes resumed), incremental XXH3,
 * fsync + close on finish, close + unlink on abort. A segment whose ArrayBuffer is detached
 * (transferred) before or during an append fails it with EINVAL (see {@link checkSegments}).
 */
import { open, unlink, type FileHandle } from 'node:fs/promises';
import type { FileDigest, FileWriter, Segment } from '../types.js';
import { EngineError } from '../types.js';
import { checkSegments, detachedError } from '../segments.js';
import { fsError } from './fsutil.js';
import { acquireHasher, releaseHasher, type Hasher } from './hash.js';

/**
 * Size of the bounce buffer an append copies the caller's bytes into. The native writer's is 256 KiB
 * (synchronous writes on its own thread); here every write is a thread-pool round trip, which a larger
 * buffer amortizes. The bytes written, their hash and the injected fault do not depend on it.
 */
const BOUNCE_BYTES = 4 << 20;

/** Bytes written by every writer of this process (for the injected ENOSPC fault). */
let totalWritten = 0;

/** Test-only fault: `PAMIQ_FAULT_ENOSPC_AFTER_BYTES=N` makes writers fail once the process wrote more than N bytes. */
function faultLimit(): number | undefined {
  const raw = process.env.PAMIQ_FAULT_ENOSPC_AFTER_BYTES?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : undefined;
}

interface Opened {
  fh: FileHandle;
  hasher: Hasher;
}

class Writer implements FileWriter {
  private readonly opening: Promise<Opened>;
  private opened: Opened | undefined;
  private size = 0;
  private failure: unknown;
  private state: 'open' | 'finished' | 'aborted' = 'open';
  private readonly limit: number | undefined;

  constructor(private readonly path: string) {
    this.limit = faultLimit();
    this.opening = this.open();
    // Errors surface through append/finish; never as an unhandled rejection.
    this.opening.catch(() => undefined);
  }

  private async open(): Promise<Opened> {
    let fh: FileHandle;
    try {
      fh = await open(this.path, 'wx');
    } catch (err) {
      throw fsError(err, this.path, 'open');
    }
    const hasher = await acquireHasher();
    this.opened = { fh, hasher };
    return this.opened;
  }

  private async ready(): Promise<Opened> {
    if (this.failure !== undefined) throw this.failure;
    if (this.state !== 'open')
      throw new EngineError('EIO', `write '${this.path}': the writer is already ${this.state}`);
    return this.opening;
  }

  async append(segments: Segment[]): Promise<void> {
    const { fh, hasher } = await this.ready();
    try {
      const views = checkSegments(segments, this.path);
      const lengths = views.map((v) => v.byteLength);
      const total = lengths.reduce((x, y) => x + y, 0);
      const bounce = new Uint8Array(Math.min(total, BOUNCE_BYTES));
      let fill = 0;
      for (let i = 0; i < views.length; i++) {
        const v = views[i]!;
        for (let off = 0; off < lengths[i]!; ) {
          // The view may have been detached while an earlier chunk was written.
          if (v.byteLength !== lengths[i]) throw detachedError(this.path, i);
          const take = Math.min(lengths[i]! - off, bounce.length - fill);
          bounce.set(v.subarray(off, off + take), fill);
          fill += take;
          off += take;
          if (fill === bounce.length) {
            await this.writeAll(fh, hasher, [bounce], fill);
            fill = 0;
          }
        }
      }
      if (fill > 0) await this.writeAll(fh, hasher, [bounce.subarray(0, fill)], fill);
      // Same rule as the native adapter: a segment detached by the end of the append fails it.
      views.forEach((v, i) => {
        if (v.byteLength !== lengths[i]) throw detachedError(this.path, i);
      });
    } catch (err) {
      this.failure = fsError(err, this.path, 'write');
      throw this.failure;
    }
  }

  /** Writes `bufs` completely (resuming after partial writes), hashing exactly what was written. */
  private async writeAll(fh: FileHandle, hasher: Hasher, bufs: Uint8Array[], bytes: number): Promise<void> {
    let injected = false;
    if (this.limit !== undefined && totalWritten + bytes > this.limit) {
      // Write up to the limit, then fail like a full disk would.
      const allowed = Math.max(0, this.limit - totalWritten);
      bufs = truncate(bufs, allowed);
      bytes = allowed;
      injected = true;
    }
    let pending = bufs;
    let left = bytes;
    while (left > 0) {
      const { bytesWritten } = await fh.writev(pending);
      if (bytesWritten <= 0) throw new EngineError('EIO', `write '${this.path}': write returned ${bytesWritten}`);
      left -= bytesWritten;
      totalWritten += bytesWritten;
      this.size += bytesWritten;
      pending = advance(pending, bytesWritten, hasher);
    }
    if (injected) {
      throw new EngineError('EIO', `write '${this.path}': No space left on device (injected)`);
    }
  }

  async finish(): Promise<FileDigest> {
    const { fh, hasher } = await this.ready();
    try {
      await fh.datasync();
    } catch (err) {
      this.failure = fsError(err, this.path, 'fsync');
      throw this.failure;
    }
    try {
      await fh.close();
    } catch (err) {
      this.failure = fsError(err, this.path, 'close');
      throw this.failure;
    }
    this.state = 'finished';
    this.opened = undefined;
    const xxh3 = hasher.digest('hex');
    releaseHasher(hasher);
    return { size: this.size, xxh3 };
  }

  async abort(): Promise<void> {
    // After a successful finish the file belongs to the caller; a second abort has nothing to do.
    if (this.state !== 'open') return;
    this.state = 'aborted';
    let opened: Opened;
    try {
      opened = await this.opening;
    } catch {
      return; // never created (e.g. EEXIST): the file is not ours to unlink
    }
    this.opened = undefined;
    await opened.fh.close().catch(() => undefined);
    await unlink(this.path).catch(() => undefined);
  }
}

/** Drops the first `n` bytes of `bufs`, feeding them to the hasher. */
function advance(bufs: Uint8Array[], n: number, hasher: Hasher): Uint8Array[] {
  let i = 0;
  while (n > 0 && i < bufs.length) {
    const b = bufs[i]!;
    if (n >= b.byteLength) {
      hasher.update(b);
      n -= b.byteLength;
      i++;
    } else {
      hasher.update(b.subarray(0, n));
      const rest = bufs.slice(i);
      rest[0] = b.subarray(n);
      return rest;
    }
  }
  return bufs.slice(i);
}

function truncate(bufs: Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const b of bufs) {
    if (n <= 0) break;
    out.push(b.byteLength <= n ? b : b.subarray(0, n));
    n -= b.byteLength;
  }
  return out;
}

export function createWriter(path: string): FileWriter {
  return new Writer(path);
}
