/**
 * How components write and read their files (called from their `saveState(path)` / `loadState(path)`).
 *
 * During a StateStore capture (the loops are paused), {@link stageFile} only records the file: its
 * `produce` callback runs in the write phase, after the loops resumed, so it must read nothing but
 * what was captured when stageFile was called (copy what can still change; reference what cannot).
 * Outside a capture the file is written at once, atomically (temporary name, fsync, rename).
 * {@link readStateFile} serves the bytes that the StateStore already read and verified while a load
 * is in progress, and reads from disk otherwise. The sessions themselves are the store's (capture.ts).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile, rename } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { decodeValue, encodeValue } from '../codec/values.js';
import {
  activeCapture,
  activeLoad,
  inside,
  writeSegments,
  type DeferredWrite,
  type ExternalPart,
  type Producer,
} from './capture.js';

export type { DeferredWrite, ExternalPart, Producer, SegmentSource } from './capture.js';

/** Writes (or, inside a capture, stages) the file `path`, creating its parent directory. */
export async function stageFile(path: string, produce: Producer): Promise<void> {
  const abs = resolve(path);
  mkdirSync(dirname(abs), { recursive: true });
  const capture = activeCapture(abs);
  if (capture) {
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

/** Stages `value` as one generic msgpack value (encoded in the write phase). */
export async function stageMsgpack(path: string, value: unknown): Promise<void> {
  await stageFile(path, () => [encodeValue(value)]);
}

/** The bytes of a state file: from the verified load in progress, else from disk. */
export async function readStateFile(path: string): Promise<Uint8Array> {
  const abs = resolve(path);
  const load = activeLoad();
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

/**
 * Adds files written by another thread to the capture in progress.
 * @throws Error outside a capture.
 */
export function stageExternal(part: ExternalPart): void {
  const capture = activeCapture();
  if (!capture) throw new Error('stageExternal() called outside a state capture');
  capture.external.push(part);
}

/**
 * Inside a capture whose root contains `path`: records `write` to run in the save's write phase and
 * returns true. Outside one, returns false (the caller does the work at once).
 */
export function deferWrite(path: string, write: DeferredWrite): boolean {
  const capture = activeCapture(resolve(path));
  if (!capture) return false;
  capture.deferred.push(write);
  return true;
}
