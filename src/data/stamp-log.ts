/**
 * The collection timestamps of a data user: numbers appended one by one, the oldest dropped beyond a
 * limit. Held in chunks of {@link STAMP_CHUNK} doubles that are only ever appended to, never
 * overwritten, so an append is O(1) and a {@link snapshot} copies nothing: it keeps the chunk list
 * and the range it covers, which later appends cannot change.
 */
import { typedArrayHeader } from '../codec/values.js';
import type { Segment } from '../backend/types.js';

/** Doubles per chunk (a power of two). */
export const STAMP_CHUNK = 1 << 16;
const SHIFT = 16;
const MASK = STAMP_CHUNK - 1;

/** The timestamps at one moment (see {@link StampLog.snapshot}). */
export interface StampSnapshot {
  readonly chunks: readonly Float64Array[];
  /** Index of the oldest timestamp in the first chunk. */
  readonly head: number;
  readonly length: number;
}

export class StampLog {
  #chunks: Float64Array[] = [];
  #head = 0;
  #length = 0;

  /** @param max how many timestamps are kept (the newest); undefined: all. */
  constructor(readonly max: number | undefined) {}

  get length(): number {
    return this.#length;
  }

  /** Appends `t`, dropping the oldest when more than `max` are held. */
  push(t: number): void {
    const p = this.#head + this.#length;
    const c = p >> SHIFT;
    if (c === this.#chunks.length) this.#chunks.push(new Float64Array(STAMP_CHUNK));
    this.#chunks[c]![p & MASK] = t;
    this.#length++;
    if (this.max !== undefined && this.#length > this.max) {
      this.#length--;
      if (++this.#head === STAMP_CHUNK) {
        this.#chunks.shift();
        this.#head = 0;
      }
    }
  }

  /** The i-th timestamp, oldest first (undefined out of range). */
  at(i: number): number | undefined {
    if (i < 0 || i >= this.#length) return undefined;
    const p = this.#head + i;
    return this.#chunks[p >> SHIFT]![p & MASK];
  }

  /** The timestamps at this moment, unchanged by later pushes (O(chunks), nothing copied). */
  snapshot(): StampSnapshot {
    return { chunks: this.#chunks.slice(), head: this.#head, length: this.#length };
  }

  /** Replaces the content with the newest `max` of `stamps` (copied). */
  replace(stamps: ArrayLike<number>): void {
    const from = this.max !== undefined && stamps.length > this.max ? stamps.length - this.max : 0;
    this.#chunks = [];
    this.#head = 0;
    this.#length = 0;
    const n = stamps.length - from;
    for (let i = 0; i < n; i += STAMP_CHUNK) {
      const chunk = new Float64Array(STAMP_CHUNK);
      const m = Math.min(STAMP_CHUNK, n - i);
      if (stamps instanceof Float64Array) chunk.set(stamps.subarray(from + i, from + i + m));
      else for (let k = 0; k < m; k++) chunk[k] = stamps[from + i + k]!;
      this.#chunks.push(chunk);
    }
    this.#length = n;
  }

  /** How many timestamps, counted from the newest, are strictly greater than `t`. */
  countAfter(t: number): number {
    let n = 0;
    for (let i = this.#length - 1; i >= 0; i--) {
      const p = this.#head + i;
      if (!(this.#chunks[p >> SHIFT]![p & MASK]! > t)) break;
      n++;
    }
    return n;
  }
}

/**
 * The bytes of a snapshot as one msgpack typed-array value (a Float64Array of its timestamps, the same
 * bytes as `typedArrayValueSegments(new Float64Array(timestamps))`), referencing the chunks zero-copy.
 */
export function stampSegments(s: StampSnapshot): Segment[] {
  const out: Segment[] = [typedArrayHeader(9, s.length * 8)];
  let i = 0;
  let p = s.head;
  while (i < s.length) {
    const from = p & MASK;
    const n = Math.min(s.length - i, STAMP_CHUNK - from);
    const c = s.chunks[p >> SHIFT]!;
    out.push(new Uint8Array(c.buffer, c.byteOffset + from * 8, n * 8));
    i += n;
    p += n;
  }
  return out;
}
