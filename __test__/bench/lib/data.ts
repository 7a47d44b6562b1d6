/**
 * The data the cases save: buffers filled through the real collection path (DataCollector → DataUser
 * → SequentialBuffer), registered in a StateStore under "data" as the launch does.
 *
 * Import this only from case scripts: it loads the state engine, which is fixed by PAMIQ_BACKEND at
 * import time.
 */
import { DataUsersDict, SequentialBuffer } from '../../../src/data/index.js';
import { StateStore } from '../../../src/state/store.js';

/**
 * A 4-byte-per-element tensor that is neither zero nor repetitive (a virtual disk could otherwise
 * detect zero pages or compress), cheap to make.
 */
export function tensorItem(i: number, width: number): Float32Array {
  const a = new Float32Array(width);
  const base = i * 0.001;
  for (let j = 0; j < width; j++) a[j] = base + j;
  return a;
}

/** Four numbers, a mix of small integers and fractions like a logged (step, reward, x, y) record. */
export function recordItem(i: number): number[] {
  return [i, (i % 1000) * 0.25, -(i % 97), Math.sqrt(i)];
}

export interface BufferSystem<T> {
  buffer: SequentialBuffer<T>;
  users: DataUsersDict;
}

/** A SequentialBuffer named "buf" holding `n` items made by `make`, collected then moved in by the user. */
export function filledBuffer<T>(n: number, make: (i: number) => T): BufferSystem<T> {
  const buffer = new SequentialBuffer<T>(n);
  const users = DataUsersDict.fromDataBuffers({ buf: buffer });
  const user = users.get('buf')!;
  const chunk = 10_000;
  for (let i = 0; i < n; ) {
    const end = Math.min(n, i + chunk);
    for (; i < end; i++) user.collector.collect(make(i));
    user.update();
  }
  return { buffer, users };
}

/** An empty buffer of the same shape, to load a saved state into. */
export function emptyBuffer<T>(n: number): BufferSystem<T> {
  const buffer = new SequentialBuffer<T>(n);
  return { buffer, users: DataUsersDict.fromDataBuffers({ buf: buffer }) };
}

/** A StateStore writing to `statesDir` with `users` registered as "data". */
export function storeFor(statesDir: string, users: DataUsersDict): StateStore {
  const store = new StateStore({ statesDir });
  store.register('data', users);
  return store;
}

/** A step record of four numbers: an observation, a small integer action, a reward and a value estimate. */
export function fieldRecord(i: number): { obs: number; action: number; reward: number; value: number } {
  return { obs: Math.sin(i * 0.01), action: i % 4, reward: (i % 1000) * 0.25 - 100, value: Math.sqrt(i) };
}

/** A step record of a 4 KiB observation (not zero, not repetitive) and a reward. */
export function bytesRecord(i: number): { obs: Uint8Array; reward: number } {
  const obs = new Uint8Array(4096);
  for (let j = 0; j < 4096; j++) obs[j] = (i * 31 + j * 7 + (j >> 5)) & 0xff;
  return { obs, reward: (i % 100) * 0.5 };
}
