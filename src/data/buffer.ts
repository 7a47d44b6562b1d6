import type { PersistentState } from '../persistence/persistent.js';
import { getLogger } from '../log.js';

const log = getLogger('data.DataBuffer');

/**
 * Storage of collected data on the training side. `T` is one collected item, `R` what
 * {@link getData} returns.
 *
 * Items are immutable by contract: once collected, neither the agent nor the trainer may mutate an
 * item in place. Buffers therefore hold (and save) references, never copies.
 */
export abstract class DataBuffer<T = unknown, R = unknown> implements PersistentState {
  readonly #maxQueueSize: number | undefined;

  /**
   * @param maxQueueSize Capacity of the collector queue feeding this buffer; `undefined` means
   *   unbounded (a warning is logged, since an unbounded queue can exhaust memory).
   * @throws RangeError when `maxQueueSize` is negative or not an integer.
   */
  constructor(maxQueueSize?: number) {
    if (maxQueueSize === undefined) {
      log.warn(`${new.target.name}: maxQueueSize is undefined, so the data collector queue is unbounded.`);
    } else if (!Number.isInteger(maxQueueSize) || maxQueueSize < 0) {
      throw new RangeError(`maxQueueSize must be a non-negative integer, got ${maxQueueSize}`);
    }
    this.#maxQueueSize = maxQueueSize;
  }

  /** Capacity of the collector queue; `undefined` = unbounded. */
  get maxQueueSize(): number | undefined {
    return this.#maxQueueSize;
  }

  abstract add(data: T): void;
  abstract getData(): R;
  abstract get length(): number;

  saveState(_path: string): void | Promise<void> {}
  loadState(_path: string): void | Promise<void> {}
}
