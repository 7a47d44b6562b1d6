/**
 * How built-in components write and read their files.
 *
 * During a StateStore capture (the loops are paused), {@link stageFile} only records the file: its
 * `produce` callback runs in the write phase, after the loops resumed, so it must read nothing but
 * what was captured when stageFile was called (copy what can still change; reference what cannot).
 * Outside a capture the file is written at once, atomically (temporary name, fsync, rename).
 * {@link readStateFile} serves the bytes that the StateStore already read and verified while a load
 * is in progress, and reads from disk otherwise.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile, rename } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { engine } from '../backend/select.js';
import type { FileDigest, Segment } from '../backend/types.js';
import { decodeValue, encodeValue } from '../codec/values.js';

/**
 * What a staged file's producer returns: all its segments at once, or batches of segments (a sync or
 * async iterable of arrays) that are written one after another — large files should use batches so
 * that encoding interleaves with writing and with the loops.
 */
export type SegmentSource = Segment[] | Iterable<Segment[]> | AsyncIterable<Segment[]>;
export type Producer = () => SegmentSource | Promise<SegmentSource>;

/**
 * Files of a capture that another thread stages and writes (the training worker): `write()` runs in
 * the write phase and reports the digests of what it wrote, keyed by path relative to the capture root;
 * `discard()` drops them when the save is abandoned before its write phase.
 */
export interface ExternalPart {
  write(): Promise<Record<string, FileDigest>>;
  discard(): Promise<void>;
}

interface CaptureSession {
  root: string;
  staged: Map<string, Producer>;
  external: ExternalPart[];
  deferred: DeferredWrite[];
}

/**
 * Work a save runs in its write phase, after the loops resumed (beside the staged files): it writes
 * files under the state itself and returns their digests by absolute path.
 */
export type DeferredWrite = () => Promise<Map<string, FileDigest>>;

interface LoadSession {
  root: string;
  files: Map<string, Uint8Array>;
}

// Sessions follow the async context of the save or load that opened them, so concurrent stores (and
// code outside any save) never see each other's session.
const captures = new AsyncLocalStorage<CaptureSession>();
const loads = new AsyncLocalStorage<LoadSession>();

/** `rel` with `/` separators when `abs` lies inside `root`, else undefined. */
function inside(root: string, abs: string): string | undefined {
  const rel = relative(root, abs);
  if (rel === '' || rel.startsWith('..') || resolve(root, rel) !== abs) return undefined;
  return sep === '/' ? rel : rel.split(sep).join('/');
}

/** Writes (or, inside a capture, stages) the file `path`, creating its parent directory. */
export async function stageFile(path: string, produce: Producer): Promise<void> {
  const abs = resolve(path);
  mkdirSync(dirname(abs), { recursive: true });
  const capture = captures.getStore();
  if (capture && inside(capture.root, abs) !== undefined) {
    if (capture.staged.has(abs) || existsSync(abs)) {
      throw new Error(`State file '${abs}' is written twice in one save`);
    }
    capture.staged.set(abs, produce);
    return;
  }
  // Outside a capture: write beside the target and rename over it, so a crash never leaves half a file.
  const tmp = `${abs}.tmp-${randomBytes(4).toString('hex')}`;
  await writeSegments(tmp, produce());
  await rename(tmp, abs);
}

/**
 * The root of the capture in progress in this async context (the temporary directory of the state),
 * or undefined outside a capture.
 */
export function captureRoot(): string | undefined {
  return captures.getStore()?.root;
}

/**
 * Adds files written by another thread to the capture in progress.
 * @throws Error outside a capture.
 */
export function stageExternal(part: ExternalPart): void {
  const capture = captures.getStore();
  if (!capture) throw new Error('stageExternal() called outside a state capture');
  capture.external.push(part);
}

/**
 * The verified bytes of the load in progress under `dir` (paths relative to `dir`, `/`-separated),
 * or undefined outside a load.
 */
export function loadedFilesUnder(dir: string): Map<string, Uint8Array> | undefined {
  const load = loads.getStore();
  if (!load) return undefined;
  const rel = inside(load.root, resolve(dir));
  if (rel === undefined) return undefined;
  const prefix = `${rel}/`;
  const out = new Map<string, Uint8Array>();
  for (const [path, bytes] of load.files) if (path.startsWith(prefix)) out.set(path.slice(prefix.length), bytes);
  return out;
}

/** Stages `value` as one generic msgpack value (encoded in the write phase). */
export async function stageMsgpack(path: string, value: unknown): Promise<void> {
  await stageFile(path, () => [encodeValue(value)]);
}

/** The bytes of a state file: from the verified load in progress, else from disk. */
export async function readStateFile(path: string): Promise<Uint8Array> {
  const abs = resolve(path);
  const load = loads.getStore();
  const rel = load ? inside(load.root, abs) : undefined;
  if (load && rel !== undefined) {
    const bytes = load.files.get(rel);
    if (!bytes) {
      const err = new Error(`State file '${rel}' is not in the state '${load.root}'`) as NodeJS.ErrnoException;
      err.code = 'ENOENT';
      throw err;
    }
    return bytes;
  }
  return readFile(abs);
}

/** Reads and decodes a file written by {@link stageMsgpack}. */
export async function readMsgpack<T = unknown>(path: string): Promise<T> {
  return decodeValue(await readStateFile(path)) as T;
}

async function* batchesOf(source: SegmentSource): AsyncGenerator<Segment[]> {
  if (Array.isArray(source)) yield source as Segment[];
  else yield* source as AsyncIterable<Segment[]>;
}

/**
 * Writes the segments of `source` to a new file with the active engine's writer, batch by batch (the
 * event loop runs between batches); removes the file on failure.
 */
export async function writeSegments(path: string, source: SegmentSource | Promise<SegmentSource>) {
  const writer = engine().createWriter(path);
  try {
    let appended = false;
    for await (const batch of batchesOf(await source)) {
      await writer.append(batch);
      appended = true;
    }
    if (!appended) await writer.append([]); // creates the (empty) file
    return await writer.finish();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

/**
 * Inside a capture whose root contains `path`: records `write` to run in the save's write phase and
 * returns true. Outside one, returns false (the caller does the work at once).
 */
export function deferWrite(path: string, write: DeferredWrite): boolean {
  const capture = captures.getStore();
  if (!capture || inside(capture.root, resolve(path)) === undefined) return false;
  capture.deferred.push(write);
  return true;
}

/** How {@link writeCaptured} names a failure. */
export interface CaptureWriteErrors {
  /** A staged file (`rel`: its path relative to the capture root) failed to encode or write. */
  file(rel: string, err: unknown): Error;
  /** A deferred write (a directory snapshot) failed. */
  snapshot(err: unknown): Error;
}

/** How many staged files are encoded and written at the same time. */
const WRITE_CONCURRENCY = 4;

const relativeTo = (root: string, abs: string) => relative(root, abs).split(sep).join('/');

/**
 * The write phase of one thread's capture of `root`: encodes and writes the staged files, a few at a
 * time in path order, while `alongside` (another thread's files) runs too; then the deferred writes,
 * one after another. Returns every digest, keyed by path relative to `root`.
 * @throws what `errors` makes of the first failure (the other staged writers stop early), or what
 *   `alongside` throws.
 */
export async function writeCaptured(
  root: string,
  staged: Map<string, Producer>,
  deferred: DeferredWrite[],
  errors: CaptureWriteErrors,
  alongside: () => Promise<Record<string, FileDigest>> = async () => ({}),
): Promise<Record<string, FileDigest>> {
  const known: Record<string, FileDigest> = {};
  const queue = [...staged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const writer = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [abs, produce] = next;
      const rel = relativeTo(root, abs);
      try {
        known[rel] = await writeSegments(abs, produce());
      } catch (err) {
        queue.length = 0; // stop the other writers early; the save is lost anyway
        throw errors.file(rel, err);
      }
    }
  };
  const others = async () => {
    Object.assign(known, await alongside());
  };
  const results = await Promise.allSettled([others(), ...Array.from({ length: WRITE_CONCURRENCY }, writer)]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  for (const write of deferred) {
    let digests: Map<string, FileDigest>;
    try {
      digests = await write();
    } catch (err) {
      throw errors.snapshot(err);
    }
    for (const [abs, digest] of digests) known[relativeTo(root, abs)] = digest;
  }
  return known;
}

// ---- used by StateStore only ----

/**
 * Runs `fn` with a capture session for `root`: every stageFile under `root` inside `fn`'s async
 * context is recorded instead of written. Returns what `fn` returned and the staged files
 * (absolute path → producer), and the deferred writes (see {@link deferWrite}).
 */
export async function withCapture<T>(
  root: string,
  fn: () => Promise<T>,
): Promise<[T, Map<string, Producer>, DeferredWrite[], ExternalPart[]]> {
  const session: CaptureSession = { root: resolve(root), staged: new Map(), external: [], deferred: [] };
  const value = await captures.run(session, fn);
  return [value, session.staged, session.deferred, session.external];
}

/** Runs `fn` with `files` (relative path → bytes) served to readStateFile for paths under `root`. */
export function withLoad<T>(root: string, files: Map<string, Uint8Array>, fn: () => Promise<T>): Promise<T> {
  return loads.run({ root: resolve(root), files }, fn);
}
