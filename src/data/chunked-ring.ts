/**
 * The storage of a {@link SequentialBuffer}: a ring of at most `maxSize` references in copy-on-write
 * {@link ChunkedSlots} of {@link RING_CHUNK} slots. A {@link ChunkedRing.snapshot} copies only the
 * chunk list; the first overwrite of a chunk a snapshot shares copies that chunk (and its number
 * columns), so a save's capture costs microseconds instead of a copy of every reference, and what the
 * snapshot sees never changes.
 */

import { ItemRuns, type ItemRun, type NumberColumns, type NumberRows } from '../codec/records.js';
import { ChunkedSlots, copyRun, type SlotsSnapshot } from './chunked-slots.js';
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
  #slots = new ChunkedSlots<T>(RING_CHUNK);
  #start = 0;
  readonly #mirror: NumberMirror | undefined;

  /** @param mirrorRecords keep number records as columns too (see {@link NumberMirror}). */
  constructor(
    readonly maxSize: number,
    mirrorRecords = false,
  ) {
    this.#mirror = mirrorRecords ? new NumberMirror((c) => Math.min(RING_CHUNK, maxSize - c * RING_CHUNK)) : undefined;
  }

  get length(): number {
    return this.#slots.length;
  }

  /** Appends `item`; when full, it replaces the oldest. */
  push(item: T): void {
    const slots = this.#slots;
    if (slots.length < this.maxSize) {
      const p = slots.length;
      // Appending past a snapshot's length never changes what that snapshot reads: no copy.
      slots.push(item);
      this.#mirror?.put(p >> SHIFT, p & MASK, item);
      return;
    }
    const p = this.#start;
    if (slots.set(p, item)) this.#mirror?.copyChunk(p >> SHIFT);
    this.#mirror?.put(p >> SHIFT, p & MASK, item);
    this.#start = p + 1 === this.maxSize ? 0 : p + 1;
  }

  /** The items, oldest first (a new array). */
  toArray(): T[] {
    return flatten(this.ringOf(this.#slots.view()));
  }

  /**
   * Replaces the content with `items` (oldest first; at most maxSize of them). `columns`, when given,
   * are the items' number fields (one array per key, as many values as items): the mirror starts
   * from them instead of reading nothing until the chunks are rewritten.
   */
  replace(items: readonly T[], columns?: NumberColumns | NumberRows): void {
    if (items.length > this.maxSize) throw new RangeError(`ring: ${items.length} items exceed maxSize ${this.maxSize}`);
    this.#slots.replace(items);
    this.#start = 0;
    this.#mirror?.reset(items.length, columns);
  }

  /** The content at this moment, unchanged by later pushes (O(chunks)). */
  snapshot(): RingSnapshot<T> {
    return this.ringOf(this.#slots.snapshot());
  }

  private ringOf({ chunks, length }: SlotsSnapshot<T>): RingSnapshot<T> {
    const mirror = this.#mirror?.view();
    return { chunks, start: this.#start, length, maxSize: this.maxSize, ...(mirror ? { mirror } : {}) };
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

/** {@link flattenSteps} at once. */
export function flatten<T>(s: RingSnapshot<T>): T[] {
  const steps = flattenSteps(s);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}
