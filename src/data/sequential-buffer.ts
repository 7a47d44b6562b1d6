import { DataBuffer } from './buffer.js';
import { keepNewest, loadBufferFileDeferred, saveBufferFile } from './buffer-state.js';
import { DeferredItems } from '../codec/records.js';

/** Validates a buffer's `maxSize`. @throws RangeError unless it is a positive integer. */
export function checkMaxSize(maxSize: number): void {
  if (!Number.isInteger(maxSize) || maxSize <= 0) {
    throw new RangeError(`maxSize must be a positive integer, got ${maxSize}`);
  }
}

/**
 * A FIFO of the newest `maxSize` items (a ring, so adding is O(1)). {@link getData} returns a new
 * array, oldest first. Its collector queue holds `maxSize` items too.
 * State: `${path}.msgpack` with the items oldest first; a larger saved buffer keeps its newest items.
 * Records loaded from a record batch are built on first use (getData, add), so a loaded buffer of
 * millions of records is usable at once; what getData returns is the same as with an eager load.
 */
export class SequentialBuffer<T = unknown> extends DataBuffer<T, T[]> {
  private slots: T[] = [];
  private start = 0;
  /** Loaded items not built yet (a record batch): built on first use, see {@link ring}. */
  private deferred: DeferredItems | undefined;

  /** @throws RangeError unless `maxSize` is a positive integer. */
  constructor(readonly maxSize: number) {
    checkMaxSize(maxSize);
    super(maxSize);
  }

  /** The slots, building loaded items first if they are still deferred. */
  private ring(): T[] {
    if (this.deferred) {
      const items = this.deferred.materialize() as T[];
      this.deferred = undefined;
      this.slots = keepNewest(items, this.maxSize);
      this.start = 0;
    }
    return this.slots;
  }

  add(data: T): void {
    this.ring();
    if (this.slots.length < this.maxSize) {
      this.slots.push(data);
    } else {
      this.slots[this.start] = data;
      this.start = (this.start + 1) % this.maxSize;
    }
  }

  /** The items, oldest first (a new array of the same references). */
  getData(): T[] {
    this.ring();
    if (this.start === 0) return this.slots.slice();
    return [...this.slots.slice(this.start), ...this.slots.slice(0, this.start)];
  }

  get length(): number {
    return this.deferred ? Math.min(this.deferred.length, this.maxSize) : this.slots.length;
  }

  /** Replaces the content with `items` (oldest first), keeping the newest `maxSize`. @internal */
  replaceAll(items: T[]): void {
    this.deferred = undefined;
    this.slots = keepNewest(items, this.maxSize);
    this.start = 0;
  }

  override saveState(path: string): void | Promise<void> {
    return (async () => {
      const items = this.getData();
      await saveBufferFile(
        path,
        { kind: 'SequentialBuffer', config: { maxSize: this.maxSize }, columns: ['items'] },
        () => [items],
      );
    })();
  }

  /** @throws BufferStateMismatchError when the file was saved by another kind of buffer. */
  override loadState(path: string): void | Promise<void> {
    return (async () => {
      const { columns } = await loadBufferFileDeferred(path, 'SequentialBuffer', ['items']);
      const items = columns[0]!;
      if (items instanceof DeferredItems) {
        this.slots = [];
        this.start = 0;
        this.deferred = items;
      } else {
        this.replaceAll(items as T[]);
      }
    })();
  }
}
