import { DataBuffer } from './buffer.js';
import { keepNewest, loadBufferFileDeferred, saveBufferFile } from './buffer-state.js';
import {
  DeferredItems,
  ItemRuns,
  MAX_RECORD_KEYS,
  type NumberColumns,
  type NumberRows,
  sameKeys,
} from '../codec/records.js';
import { ChunkedRing, flatten, snapshotRuns } from './chunked-ring.js';

/** Validates a buffer's `maxSize`. @throws RangeError unless it is a positive integer. */
export function checkMaxSize(maxSize: number): void {
  if (!Number.isInteger(maxSize) || maxSize <= 0) {
    throw new RangeError(`maxSize must be a positive integer, got ${maxSize}`);
  }
}

/** Loaded number items not built yet, cut to the newest `maxSize`: `n` of them as columns or as rows. */
interface DeferredForms {
  n: number;
  columns?: NumberColumns;
  rows?: NumberRows;
}

export interface SequentialBufferOptions {
  /**
   * Keep the fields of number records (and rows of numbers) as columns while items are added, so a
   * save writes the columns instead of reading every object (see README, "Collected data"). Costs 8
   * bytes per number field per slot. Default true; false saves that memory, and a save then reads the
   * objects.
   */
  numberColumns?: boolean;
}

/**
 * A FIFO of the newest `maxSize` items (a ring, so adding is O(1)). {@link getData} returns a new
 * array, oldest first. Its collector queue holds `maxSize` items too.
 * State: `${path}.msgpack` with the items oldest first; a larger saved buffer keeps its newest items.
 * Records loaded from a record batch are built on first use (getData, add), so a loaded buffer of
 * millions of records is usable at once; what getData returns is the same as with an eager load.
 */
export class SequentialBuffer<T = unknown> extends DataBuffer<T, T[]> {
  /** The items (copy-on-write chunks, so a save's capture copies no references). */
  private slots: ChunkedRing<T>;
  /** Loaded items not built yet (a record batch): built on first use, see {@link ring}. */
  private deferred: DeferredItems | undefined;

  /** @throws RangeError unless `maxSize` is a positive integer. */
  constructor(
    readonly maxSize: number,
    options: SequentialBufferOptions = {},
  ) {
    checkMaxSize(maxSize);
    super(maxSize);
    // Number records are kept as columns too, so a save copies columns instead of reading objects.
    this.slots = new ChunkedRing<T>(maxSize, options.numberColumns ?? true);
  }

  /** The slots, building loaded items first if they are still deferred. */
  private ring(): ChunkedRing<T> {
    const deferred = this.deferred;
    if (deferred) {
      const forms = this.deferredForms();
      this.deferred = undefined;
      this.slots.replace(keepNewest(deferred.materialize() as T[], this.maxSize), forms?.columns ?? forms?.rows);
    }
    return this.slots;
  }

  /**
   * The number forms of the loaded items not built yet, cut to the newest `maxSize` (what the ring
   * keeps): `n` items as record columns or as rows; undefined when nothing is deferred or the items
   * are not numbers.
   */
  private deferredForms(): DeferredForms | undefined {
    const d = this.deferred;
    if (!d || (!d.numberColumns && !d.numberRows)) return undefined;
    const n = Math.min(d.length, this.maxSize);
    const drop = d.length - n;
    const { numberColumns: c, numberRows: r } = d;
    return {
      n,
      ...(c && { columns: { keys: c.keys, values: c.values.map((v) => (v as Float64Array).subarray(drop)) } }),
      ...(r && { rows: { rowWidth: r.rowWidth, values: r.values.subarray(drop * r.rowWidth) } }),
    };
  }

  add(data: T): void {
    this.ring().push(data);
  }

  /** The items, oldest first (a new array of the same references). */
  getData(): T[] {
    return this.ring().toArray();
  }

  /**
   * The items of this moment, oldest first, given by the returned function when called (later, in a
   * save's producer): the capture itself copies no references (copy-on-write chunks). @internal
   */
  captureItems(): () => T[] {
    const snap = this.ring().snapshot();
    return () => flatten(snap);
  }

  /**
   * The items of this moment as runs of the ring's chunks, with their mirrored number columns (see
   * {@link captureItems}; nothing is copied). @internal
   */
  captureRuns(): ItemRuns {
    return snapshotRuns(this.ring().snapshot());
  }

  get length(): number {
    return this.deferred ? Math.min(this.deferred.length, this.maxSize) : this.slots.length;
  }

  /**
   * Replaces the content with loaded items built on first use (oldest first; the newest `maxSize` are
   * kept). @internal
   */
  replaceDeferred(items: DeferredItems): void {
    this.slots.replace([]);
    this.deferred = items;
  }

  /**
   * While loaded number records are not built yet: their keys and one column per key (the newest
   * `maxSize` items), else undefined. @internal
   */
  deferredNumbers(): NumberColumns | undefined {
    return this.deferredForms()?.columns;
  }

  /** Replaces the content with `items` (oldest first), keeping the newest `maxSize`. @internal */
  replaceAll(items: T[]): void {
    this.deferred = undefined;
    this.slots.replace(keepNewest(items, this.maxSize));
  }

  override saveState(path: string): void | Promise<void> {
    return (async () => {
      // Loaded number records not built yet are saved from their columns (in the producer), so a save
      // right after a load does not build a million objects while the loops are paused.
      const loaded = mirroredRunsOf(this.deferredForms());
      // Else a snapshot of the chunks (copy on write): the encoder reads the items where they are.
      const items = loaded ? undefined : snapshotRuns(this.ring().snapshot());
      await saveBufferFile(
        path,
        { kind: 'SequentialBuffer', config: { maxSize: this.maxSize }, columns: ['items'] },
        () => [items ?? loaded!()],
      );
    })();
  }

  /** @throws BufferStateMismatchError when the file was saved by another kind of buffer. */
  override loadState(path: string): void | Promise<void> {
    return (async () => {
      const { columns } = await loadBufferFileDeferred(path, 'SequentialBuffer', ['items']);
      const items = columns[0]!;
      if (items instanceof DeferredItems) {
        this.replaceDeferred(items);
      } else {
        this.replaceAll(items as T[]);
      }
    })();
  }
}

/**
 * For loaded records whose fields are all numbers, or rows of numbers (see
 * {@link SequentialBuffer.deferredForms}): a function giving them as mirrored runs (Float64 columns,
 * converted when called), the encoder reading no objects; undefined when the columns cannot stand for
 * the items.
 */
function mirroredRunsOf(forms: DeferredForms | undefined): (() => ItemRuns) | undefined {
  if (!forms || forms.n === 0) return undefined;
  const { n, rows, columns } = forms;
  if (rows) {
    // Rows of numbers: the list encoder writes them from the mirrored rows alone (no item is read).
    return () =>
      new ItemRuns([{ items: [], from: 0, to: n, cols: [rows.values], colsUpTo: n }], undefined, rows.rowWidth);
  }
  if (!columns || columns.keys.length > MAX_RECORD_KEYS) return undefined;
  const { keys, values } = columns;
  // The first item as the decoder builds it: the encoder takes the record keys from it.
  const first = Object.fromEntries(keys.map((k, j) => [k, values[j]![0]]));
  if (!sameKeys(Object.keys(first), keys)) return undefined;
  return () => {
    const cols = values.map((v) => new Float64Array(v as Float64Array));
    return new ItemRuns([{ items: [first], from: 0, to: n, cols, colsUpTo: n }], keys);
  };
}
