import { time } from '../time/global.js';
import { getLogger } from '../log.js';

const log = getLogger('data.DataCollector');

/** Items in collection order with their pamiq collection timestamps. */
export interface CollectedBatch<T> {
  items: T[];
  timestamps: number[];
}

/**
 * The inference side of a data stream: {@link collect} queues an item with its pamiq timestamp until
 * the training side's DataUser moves it into the buffer.
 *
 * The queue is bounded by `maxQueueSize`: when full, the oldest item is dropped and counted in
 * {@link droppedCount}, and a warning is logged the first time (the original lost data silently).
 * JavaScript runs the agent and the trainer on one thread, so no lock is needed.
 */
export class DataCollector<T = unknown> {
  private items: T[] = [];
  private stamps: number[] = [];
  /** Index of the oldest live entry; dropping the oldest advances it instead of shifting the arrays. */
  private head = 0;
  private dropped = 0;

  /**
   * @param maxQueueSize Queue capacity; `undefined` = unbounded.
   * @param name Used in log messages.
   */
  constructor(
    readonly maxQueueSize?: number,
    public name?: string,
  ) {}

  /** Queues `data`, stamped with pamiq {@link time}. */
  collect(data: T): void {
    this.items.push(data);
    this.stamps.push(time());
    if (this.maxQueueSize !== undefined && this.length > this.maxQueueSize) this.dropOldest();
  }

  private dropOldest(): void {
    this.head += 1;
    this.dropped += 1;
    if (this.dropped === 1) {
      log.warn(
        `Data collector${this.name ? ` '${this.name}'` : ''} is full (${this.maxQueueSize} items): ` +
          'dropping the oldest items. Update its data user more often or raise maxQueueSize.',
      );
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) this.compact();
  }

  private compact(): void {
    this.items = this.items.slice(this.head);
    this.stamps = this.stamps.slice(this.head);
    this.head = 0;
  }

  /** Number of queued items. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** How many items were dropped because the queue was full, since construction. */
  get droppedCount(): number {
    return this.dropped;
  }

  /**
   * Queues items collected elsewhere (in another thread) with their collection timestamps, in
   * order, dropping the oldest when over capacity as {@link collect} does.
   * @internal used by the worker runtime.
   */
  receive(items: readonly T[], timestamps: ArrayLike<number>): void {
    if (items.length !== timestamps.length) {
      throw new RangeError(`receive(): ${items.length} items but ${timestamps.length} timestamps`);
    }
    for (let i = 0; i < items.length; i++) {
      this.items.push(items[i]!);
      this.stamps.push(timestamps[i]!);
      if (this.maxQueueSize !== undefined && this.length > this.maxQueueSize) this.dropOldest();
    }
  }

  /**
   * Removes and returns every queued item. For the DataUser only.
   * @internal
   */
  drain(): CollectedBatch<T> {
    const batch = { items: this.items.slice(this.head), timestamps: this.stamps.slice(this.head) };
    this.items = [];
    this.stamps = [];
    this.head = 0;
    return batch;
  }

  /**
   * The queued items without removing them (references, not copies). For the DataUser's save.
   * @internal
   */
  peek(): CollectedBatch<T> {
    return { items: this.items.slice(this.head), timestamps: this.stamps.slice(this.head) };
  }

  /**
   * Puts saved items back in front of what is queued now (keeping the newest when over capacity).
   * For the DataUser's load.
   * @internal
   */
  restore(batch: CollectedBatch<T>): void {
    const current = this.drain();
    let items = [...batch.items, ...current.items];
    let stamps = [...batch.timestamps, ...current.timestamps];
    if (this.maxQueueSize !== undefined && items.length > this.maxQueueSize) {
      items = items.slice(items.length - this.maxQueueSize);
      stamps = stamps.slice(stamps.length - this.maxQueueSize);
    }
    this.items = items;
    this.stamps = stamps;
  }
}
