/**
 * The storage of a {@link SequentialBuffer}: a ring of at most `maxSize` references held in chunks of
 * {@link RING_CHUNK} slots. A {@link snapshot} copies only the chunk list and marks every chunk shared;
 * the first overwrite of a shared chunk copies that chunk (copy on write), so a save's capture costs
 * microseconds instead of a copy of every reference, and what the snapshot sees never changes.
 */

import { ItemRuns, type ItemRun } from '../codec/records.js';
import { NumberMirror, type MirrorView } from './number-mirror.js';

/** Slots per chunk (a power of two). */
export const RING_CHUNK = 1 << 16;
const SHIFT = 16;
const MASK = RING_CHUNK - 1;

/** The content of a ring at one moment (see {@link ChunkedRing.snapshot}). */
export interface RingSnapshot<T> {
  readonly chunks: readonly (readonly T[])[];
  /** Physical slot of the oldest item. */
  readonly start: number;
  readonly length: number;
  readonly maxSize: number;
  /** The number-record columns of the chunks, when the ring keeps them ({@link NumberMirror}). */
  readonly mirror?: MirrorView;
}

export class ChunkedRing<T> {
  #chunks: T[][] = [];
  /** Chunks a snapshot may still read: copied before their first overwrite. */
  #shared: boolean[] = [];
  #start = 0;
  #length = 0;
  readonly #mirror: NumberMirror | undefined;

  /** @param mirrorRecords keep number records as columns too (see {@link NumberMirror}). */
  constructor(
    readonly maxSize: number,
    mirrorRecords = false,
  ) {
    this.#mirror = mirrorRecords ? new NumberMirror((c) => Math.min(RING_CHUNK, maxSize - c * RING_CHUNK)) : undefined;
  }

  get length(): number {
    return this.#length;
  }

  /** Appends `item`; when full, it replaces the oldest. */
  push(item: T): void {
    if (this.#length < this.maxSize) {
      const p = this.#length;
      const c = p >> SHIFT;
      if (c === this.#chunks.length) {
        this.#chunks.push([]);
        this.#shared.push(false);
      }
      // Appending past a snapshot's length never changes what that snapshot reads: no copy.
      this.#chunks[c]!.push(item);
      this.#mirror?.put(c, p & MASK, item);
      this.#length++;
      return;
    }
    const p = this.#start;
    const c = p >> SHIFT;
    if (this.#shared[c]) {
      this.#chunks[c] = this.#chunks[c]!.slice();
      this.#mirror?.copyChunk(c);
      this.#shared[c] = false;
    }
    this.#chunks[c]![p & MASK] = item;
    this.#mirror?.put(c, p & MASK, item);
    this.#start = p + 1 === this.maxSize ? 0 : p + 1;
  }

  /** The items, oldest first (a new array). */
  toArray(): T[] {
    return flatten(this.snapshotView());
  }

  /**
   * Replaces the content with `items` (oldest first; at most maxSize of them). `columns`, when given,
   * are the items' number fields (one array per key, as many values as items): the mirror starts
   * from them instead of reading nothing until the chunks are rewritten.
   */
  replace(
    items: readonly T[],
    columns?:
      | { keys: readonly string[]; values: readonly ArrayLike<number>[] }
      | { rowWidth: number; values: Float64Array },
  ): void {
    if (items.length > this.maxSize) throw new RangeError(`ring: ${items.length} items exceed maxSize ${this.maxSize}`);
    this.#chunks = [];
    for (let i = 0; i < items.length; i += RING_CHUNK) this.#chunks.push(items.slice(i, i + RING_CHUNK));
    this.#shared = this.#chunks.map(() => false);
    this.#start = 0;
    this.#length = items.length;
    this.#mirror?.reset(items.length, columns);
  }

  /** The content at this moment, unchanged by later pushes (O(chunks)). */
  snapshot(): RingSnapshot<T> {
    this.#shared.fill(true);
    return this.snapshotView();
  }

  private snapshotView(): RingSnapshot<T> {
    const mirror = this.#mirror?.view();
    return {
      chunks: this.#chunks.slice(),
      start: this.#start,
      length: this.#length,
      maxSize: this.maxSize,
      ...(mirror ? { mirror } : {}),
    };
  }
}

/** The items of a snapshot, oldest first, copied {@link RING_CHUNK} at a time with a yield after each. */
export function* flattenSteps<T>(s: RingSnapshot<T>): Generator<void, T[], undefined> {
  const out = new Array<T>(s.length);
  let i = 0;
  let p = s.start;
  while (i < s.length) {
    const c = p >> SHIFT;
    const from = p & MASK;
    const chunk = s.chunks[c]!;
    const n = Math.min(s.length - i, RING_CHUNK - from, s.maxSize - p);
    copyRun(out, i, chunk, from, n);
    i += n;
    p += n;
    if (p === s.maxSize) p = 0;
    yield;
  }
  return out;
}

/**
 * The items of a snapshot, oldest first, as runs of its chunks (nothing copied); with the ring's
 * number-record columns for the runs it mirrors.
 */
export function snapshotRuns<T>(s: RingSnapshot<T>): ItemRuns {
  const runs: ItemRun[] = [];
  let i = 0;
  let p = s.start;
  while (i < s.length) {
    const from = p & MASK;
    const n = Math.min(s.length - i, RING_CHUNK - from, s.maxSize - p);
    const m = s.mirror?.chunks[p >> SHIFT];
    runs.push({ items: s.chunks[p >> SHIFT]!, from, to: from + n, ...(m ? { cols: m.cols, colsUpTo: m.upTo } : {}) });
    i += n;
    p += n;
    if (p === s.maxSize) p = 0;
  }
  return new ItemRuns(runs, s.mirror?.keys, s.mirror?.rowWidth);
}

/** `out[at..at+n) = src[from..from+n)`: a plain function so that V8 optimizes the loop (not a generator's). */
export function copyRun<T>(out: T[], at: number, src: readonly T[], from: number, n: number): void {
  for (let k = 0; k < n; k++) out[at + k] = src[from + k]!;
}

/** {@link flattenSteps} at once. */
export function flatten<T>(s: RingSnapshot<T>): T[] {
  const steps = flattenSteps(s);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}
