import { globalRandom } from '../random/global.js';
import { DataBuffer } from './buffer.js';
import { keepNewest, loadBufferFile, saveBufferFile } from './buffer-state.js';
import { checkMaxSize } from './sequential-buffer.js';
import { ChunkedSlots, slotsArray } from './chunked-slots.js';

/** The Euler–Mascheroni constant. */
const EULER_GAMMA = 0.5772156649015329;

export interface RandomReplacementOptions {
  /** Probability in [0, 1] that an item added to a full buffer replaces a random one (default 1). */
  replaceProbability?: number;
  /**
   * Instead of `replaceProbability`: how many additions an item should survive on average; the
   * probability becomes `clamp(maxSize / L · (ln(maxSize) + γ), 0, 1)`.
   */
  expectedSurvivalLength?: number;
  /**
   * Uniform source in [0, 1); by default the process-wide seeded source (`globalRandom()`), whose state
   * is part of every saved state, so a resumed system replaces the same slots.
   */
  random?: () => number;
}

/** Resolves the replacement probability from the options. @throws as {@link RandomReplacementBuffer}. */
export function replaceProbabilityOf(maxSize: number, options: RandomReplacementOptions): number {
  const { replaceProbability: p, expectedSurvivalLength: l } = options;
  if (p !== undefined && l !== undefined) {
    throw new TypeError('Cannot specify both replaceProbability and expectedSurvivalLength.');
  }
  if (l !== undefined) return RandomReplacementBuffer.computeReplaceProbabilityFromExpectedSurvivalLength(maxSize, l);
  if (p === undefined) return 1;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`replaceProbability must be in [0, 1], got ${p}`);
  return p;
}

/**
 * Fills up to `maxSize` items; once full, each new item replaces a uniformly random one with
 * probability `replaceProbability` and is dropped otherwise, so old items survive longer than in a
 * FIFO. The collector queue holds `floor(maxSize / p)` items (`maxSize` when p = 0: nothing is ever
 * replaced then).
 *
 * State: `${path}.msgpack` with the items ordered by when they were added, oldest first, so a smaller
 * buffer that loads it keeps the newest items (as every built-in buffer does). Its config also holds
 * `slots` (for each slot, the age rank of its item), so a buffer of the same size puts every item back
 * into its slot: sampling by index after a load draws what it would have drawn without the save.
 */
export class RandomReplacementBuffer<T = unknown> extends DataBuffer<T, T[]> {
  readonly replaceProbability: number;
  private readonly random: () => number;
  /** The items by slot (copy-on-write chunks, so a save's capture copies no references). */
  private items = new ChunkedSlots<T>();
  /** When each slot was filled (an addition counter), to save items in the order they came. */
  private ages = new ChunkedSlots<number>();
  private added = 0;

  /**
   * @throws RangeError unless `maxSize` is a positive integer, or when a probability or survival
   *   length is out of range; TypeError when both are given.
   */
  constructor(
    readonly maxSize: number,
    options: RandomReplacementOptions = {},
  ) {
    checkMaxSize(maxSize);
    const p = replaceProbabilityOf(maxSize, options);
    super(p === 0 ? maxSize : Math.floor(maxSize / p));
    this.replaceProbability = p;
    this.random = options.random ?? (() => globalRandom().random());
  }

  /**
   * The replacement probability that lets an item survive `survivalLength` additions on average to a
   * full buffer of `maxSize` items: `clamp(maxSize / survivalLength · (ln(maxSize) + γ), 0, 1)`, as in
   * PAMIQ-Core (https://zenn.dev/gesonanko/scraps/b581e75bfd9f3e).
   * @throws RangeError unless `maxSize` is a positive integer and `survivalLength` a number > 0.
   */
  static computeReplaceProbabilityFromExpectedSurvivalLength(maxSize: number, survivalLength: number): number {
    checkMaxSize(maxSize);
    if (typeof survivalLength !== 'number' || !(survivalLength > 0)) {
      throw new RangeError(`expectedSurvivalLength must be greater than 0, got ${survivalLength}`);
    }
    return Math.min(1, Math.max(0, (maxSize / survivalLength) * (Math.log(maxSize) + EULER_GAMMA)));
  }

  get isFull(): boolean {
    return this.items.length >= this.maxSize;
  }

  add(data: T): void {
    const age = this.added++;
    if (!this.isFull) {
      this.items.push(data);
      this.ages.push(age);
      return;
    }
    if (this.random() >= this.replaceProbability) return;
    const index = Math.min(this.maxSize - 1, Math.floor(this.random() * this.maxSize));
    this.items.set(index, data);
    this.ages.set(index, age);
  }

  /** The items in slot order (a new array of the same references). */
  getData(): T[] {
    return this.items.toArray();
  }

  get length(): number {
    return this.items.length;
  }

  /** The items ordered by when they were added, oldest first. @internal */
  itemsByAge(): T[] {
    return sortByAge(this.items.toArray(), this.ages.toArray());
  }

  /**
   * The items and their ages at this moment, for a save's producer: the capture copies no slots
   * (copy-on-write chunks); the returned function gives them as arrays when called. @internal
   */
  capture(): () => { items: T[]; ages: number[] } {
    const items = this.items.snapshot();
    const ages = this.ages.snapshot();
    return () => ({ items: slotsArray(items), ages: slotsArray(ages) });
  }

  /**
   * The items at this moment oldest first, and for each slot the age rank of its item (what a save
   * writes): the capture copies nothing; the returned function computes them once, when first called
   * (in a save's producer). @internal
   */
  captureByAge(): () => { items: T[]; slots: Int32Array } {
    const captured = this.capture();
    let byAge: { items: T[]; slots: Int32Array } | undefined;
    return () => {
      if (!byAge) {
        const { items, ages } = captured();
        const order = ageOrder(ages);
        byAge = { items: Array.from(order, (i) => items[i]!), slots: ranksOf(order) };
      }
      return byAge;
    };
  }

  /**
   * Replaces the content with `items` (oldest first), keeping the newest `maxSize`; with `slots` (as
   * saved, a permutation of the kept items' age ranks) each item goes back into its former slot.
   * @internal
   */
  replaceAll(items: T[], slots?: ArrayLike<number>): void {
    const kept = keepNewest(items, this.maxSize);
    if (slots && isPermutation(slots, kept.length)) {
      this.items.replace(Array.from(slots, (rank) => kept[rank]!));
      this.ages.replace(Array.from(slots));
    } else {
      this.items.replace(kept);
      this.ages.replace(kept.map((_, i) => i));
    }
    this.added = kept.length;
  }

  override saveState(path: string): void | Promise<void> {
    return (async () => {
      const get = this.captureByAge();
      await saveBufferFile(
        path,
        () => ({
          kind: 'RandomReplacementBuffer',
          config: { maxSize: this.maxSize, replaceProbability: this.replaceProbability, slots: get().slots },
          columns: ['items'],
        }),
        () => [get().items],
      );
    })();
  }

  /** @throws BufferStateMismatchError when the file was saved by another kind of buffer. */
  override loadState(path: string): void | Promise<void> {
    return (async () => {
      const { meta, columns } = await loadBufferFile(path, 'RandomReplacementBuffer', ['items']);
      this.replaceAll(columns[0] as T[], meta.config.slots as ArrayLike<number> | undefined);
    })();
  }
}

/** The slots ordered by ascending age. */
function ageOrder(ages: readonly number[]): Int32Array {
  return Int32Array.from(ages, (_, i) => i).sort((a, b) => ages[a]! - ages[b]!);
}

/** For each slot, the rank of its age (0 = oldest), from {@link ageOrder}. */
function ranksOf(order: Int32Array): Int32Array {
  const ranks = new Int32Array(order.length);
  for (let rank = 0; rank < order.length; rank++) ranks[order[rank]!] = rank;
  return ranks;
}

/** `items` reordered by ascending `ages` (new array; the inputs are left alone). */
export function sortByAge<T>(items: readonly T[], ages: readonly number[]): T[] {
  return Array.from(ageOrder(ages), (i) => items[i]!);
}

function isPermutation(values: ArrayLike<number>, n: number): boolean {
  if (values.length !== n) return false;
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= n || seen[v]) return false;
    seen[v] = 1;
  }
  return true;
}
