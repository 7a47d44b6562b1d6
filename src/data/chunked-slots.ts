/**
 * The slots of a {@link RandomReplacementBuffer}: an array that grows by `push` up to its capacity and
 * is then written at random indices, held in chunks of {@link SLOTS_CHUNK} entries. A
 * {@link ChunkedSlots.snapshot} copies only the chunk list and marks every chunk shared; the first
 * write to a shared chunk copies that chunk (copy on write), so a save's capture costs microseconds
 * instead of a copy of every slot, and what the snapshot sees never changes.
 */
import { copyRun } from './chunked-ring.js';

/** Entries per chunk (a power of two). */
export const SLOTS_CHUNK = 1 << 14;
const SHIFT = 14;
const MASK = SLOTS_CHUNK - 1;

/** The content of the slots at one moment. */
export interface SlotsSnapshot<T> {
  readonly chunks: readonly (readonly T[])[];
  readonly length: number;
}

export class ChunkedSlots<T> {
  #chunks: T[][] = [];
  #shared: boolean[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  /** Appends `value` (past every snapshot's length: no copy). */
  push(value: T): void {
    const c = this.#length >> SHIFT;
    if (c === this.#chunks.length) {
      this.#chunks.push([]);
      this.#shared.push(false);
    }
    this.#chunks[c]!.push(value);
    this.#length++;
  }

  /** Writes slot `index` (< length). */
  set(index: number, value: T): void {
    const c = index >> SHIFT;
    if (this.#shared[c]) {
      this.#chunks[c] = this.#chunks[c]!.slice();
      this.#shared[c] = false;
    }
    this.#chunks[c]![index & MASK] = value;
  }

  /** The value of slot `index`, or undefined past the length. */
  get(index: number): T | undefined {
    return index < this.#length ? this.#chunks[index >> SHIFT]![index & MASK] : undefined;
  }

  /** Replaces the content with `values` (copied). */
  replace(values: readonly T[]): void {
    this.#chunks = [];
    for (let i = 0; i < values.length; i += SLOTS_CHUNK) this.#chunks.push(values.slice(i, i + SLOTS_CHUNK));
    this.#shared = this.#chunks.map(() => false);
    this.#length = values.length;
  }

  /** The content at this moment, unchanged by later writes (O(chunks)). */
  snapshot(): SlotsSnapshot<T> {
    this.#shared.fill(true);
    return { chunks: this.#chunks.slice(), length: this.#length };
  }

  /** The values in slot order (a new array). */
  toArray(): T[] {
    return slotsArray({ chunks: this.#chunks, length: this.#length });
  }
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
