/**
 * Copy-on-write chunked slots: an array that grows by `push` and is written in place by `set`, held
 * in chunks of a power-of-two size ({@link SLOTS_CHUNK} by default). A {@link ChunkedSlots.snapshot}
 * copies only the chunk list and marks every chunk shared; the first write to a shared chunk copies
 * that chunk, so a save's capture costs microseconds instead of a copy of every slot, and what the
 * snapshot sees never changes. The slots of a {@link RandomReplacementBuffer}, and the storage under
 * the ring of a {@link SequentialBuffer} ({@link ChunkedRing}).
 */

/** Entries per chunk of a {@link RandomReplacementBuffer}'s slots (a power of two). */
export const SLOTS_CHUNK = 1 << 14;

/** The content of the slots at one moment. */
export interface SlotsSnapshot<T> {
  readonly chunks: readonly (readonly T[])[];
  readonly length: number;
}

export class ChunkedSlots<T> {
  #chunks: T[][] = [];
  /** Chunks a snapshot may still read: copied before their first write. */
  #shared: boolean[] = [];
  #length = 0;
  readonly #shift: number;
  readonly #mask: number;

  /** @param chunkSize entries per chunk, a power of two. */
  constructor(readonly chunkSize = SLOTS_CHUNK) {
    this.#shift = Math.log2(chunkSize);
    if (!Number.isInteger(this.#shift))
      throw new RangeError(`chunked slots: chunk size ${chunkSize} is not a power of two`);
    this.#mask = chunkSize - 1;
  }

  get length(): number {
    return this.#length;
  }

  /** Appends `value` (past every snapshot's length: no copy). */
  push(value: T): void {
    const c = this.#length >> this.#shift;
    if (c === this.#chunks.length) {
      this.#chunks.push([]);
      this.#shared.push(false);
    }
    this.#chunks[c]!.push(value);
    this.#length++;
  }

  /**
   * Writes slot `index` (< length). Returns true when the write copied its chunk first (the chunk
   * was shared with a snapshot), so that state kept beside the chunks can be copied alike.
   */
  set(index: number, value: T): boolean {
    const c = index >> this.#shift;
    const copied = this.#shared[c] === true;
    if (copied) {
      this.#chunks[c] = this.#chunks[c]!.slice();
      this.#shared[c] = false;
    }
    this.#chunks[c]![index & this.#mask] = value;
    return copied;
  }

  /** The value of slot `index`, or undefined past the length. */
  get(index: number): T | undefined {
    return index < this.#length ? this.#chunks[index >> this.#shift]![index & this.#mask] : undefined;
  }

  /** Replaces the content with `values` (copied). */
  replace(values: readonly T[]): void {
    this.#chunks = [];
    for (let i = 0; i < values.length; i += this.chunkSize) this.#chunks.push(values.slice(i, i + this.chunkSize));
    this.#shared = this.#chunks.map(() => false);
    this.#length = values.length;
  }

  /** The content at this moment, unchanged by later writes (O(chunks)). */
  snapshot(): SlotsSnapshot<T> {
    this.#shared.fill(true);
    return this.view();
  }

  /** The content at this moment, for reading at once (later writes may change it: nothing is marked shared). */
  view(): SlotsSnapshot<T> {
    return { chunks: this.#chunks.slice(), length: this.#length };
  }

  /** The values in slot order (a new array). */
  toArray(): T[] {
    return slotsArray({ chunks: this.#chunks, length: this.#length });
  }
}

/** `out[at..at+n) = src[from..from+n)`: a plain function so that V8 optimizes the loop (not a generator's). */
export function copyRun<T>(out: T[], at: number, src: readonly T[], from: number, n: number): void {
  for (let k = 0; k < n; k++) out[at + k] = src[from + k]!;
}

/** The values of a snapshot in slot order (a new array). */
export function slotsArray<T>(s: SlotsSnapshot<T>): T[] {
  const out = new Array<T>(s.length);
  let at = 0;
  for (const chunk of s.chunks) {
    const n = Math.min(chunk.length, s.length - at);
    copyRun(out, at, chunk, 0, n);
    at += n;
  }
  return out;
}
