/**
 * XXH3-64 (seed 0) through hash-wasm. hash-wasm creates hashers asynchronously, so one hasher is made at
 * module load (top-level await) for the synchronous {@link xxh3}, and a small pool serves streaming users.
 */
import { createXXHash3 } from 'hash-wasm';

type Hasher = Awaited<ReturnType<typeof createXXHash3>>;

const syncHasher: Hasher = await createXXHash3();

/** XXH3-64 of `bytes` as 16 lowercase hex digits. */
export function xxh3(bytes: Uint8Array): string {
  syncHasher.init();
  syncHasher.update(asU8(bytes));
  return syncHasher.digest('hex');
}

/** A streaming hasher from the pool; call {@link releaseHasher} when done (also after failures). */
export async function acquireHasher(): Promise<Hasher> {
  const h = pool.pop() ?? (await createXXHash3());
  h.init();
  return h;
}

export function releaseHasher(h: Hasher): void {
  if (pool.length < 64) pool.push(h);
}

const pool: Hasher[] = [];

export type { Hasher };

/** A Uint8Array view of any ArrayBufferView (zero-copy). */
export function asU8(view: ArrayBufferView): Uint8Array {
  return view instanceof Uint8Array && view.constructor === Uint8Array
    ? view
    : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}
