/**
 * The StateStore's side of component files: the capture and load sessions that component-files.ts
 * stages into and reads from, and the write phase of a capture.
 *
 * A save opens a capture session ({@link withCapture}) for the state's temporary directory while the
 * loops are paused; every file a component stages under it is recorded, not written. The write phase
 * ({@link writeCaptured}) then encodes and writes the recorded files after the loops resumed. A load
 * opens a load session ({@link withLoad}) that serves the bytes the store already read and verified.
 * Sessions follow the async context of the save or load that opened them, so concurrent stores (and
 * code outside any save) never see each other's session.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { relative, resolve, sep } from 'node:path';
import { engine } from '../backend/select.js';
import type { FileDigest, Segment } from '../backend/types.js';

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

/** A capture in progress: the files staged under `root` so far. */
export interface CaptureSession {
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

/** A load in progress: the verified bytes of the state at `root`, by `/`-separated relative path. */
export interface LoadSession {
  root: string;
  files: Map<string, Uint8Array>;
}

const captures = new AsyncLocalStorage<CaptureSession>();
const loads = new AsyncLocalStorage<LoadSession>();

/** `rel` with `/` separators when `abs` lies inside `root`, else undefined. */
export function inside(root: string, abs: string): string | undefined {
  const rel = relative(root, abs);
  if (rel === '' || rel.startsWith('..') || resolve(root, rel) !== abs) return undefined;
  return sep === '/' ? rel : rel.split(sep).join('/');
}

/**
 * The capture in progress in this async context, or undefined outside one. With `abs` (an absolute
 * path): only when `abs` lies inside the capture's root.
 */
export function activeCapture(abs?: string): CaptureSession | undefined {
  const capture = captures.getStore();
  if (!capture || (abs !== undefined && inside(capture.root, abs) === undefined)) return undefined;
  return capture;
}

/** The load in progress in this async context, or undefined outside one. */
export function activeLoad(): LoadSession | undefined {
  return loads.getStore();
}

/**
 * The root of the capture in progress in this async context (the temporary directory of the state),
 * or undefined outside a capture.
 */
export function captureRoot(): string | undefined {
  return captures.getStore()?.root;
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

/**
 * Runs `fn` with a capture session for `root`: every stageFile under `root` inside `fn`'s async
 * context is recorded instead of written. Returns what `fn` returned and the staged files
 * (absolute path → producer), and the deferred writes (component-files.ts's `deferWrite`).
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
