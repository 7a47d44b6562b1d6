import { DataBuffer } from './buffer.js';
import { loadBufferFileDeferred, saveBufferFile } from './buffer-state.js';
import { checkedRow, normalizeKeys, toColumns, toRows } from './dict-keys.js';
import { DeferredItems, type ItemSource } from '../codec/records.js';

/** What a dict buffer needs of the record buffer it wraps (SequentialBuffer, RandomReplacementBuffer). */
export interface RecordStore<T> {
  readonly maxSize: number;
  readonly length: number;
  add(row: Record<string, T>): void;
  getData(): Record<string, T>[];
  /**
   * Replaces the content with `rows`, oldest first; `slots`, when the store keeps slots and they are
   * valid, puts each row back into its saved slot (see {@link RandomReplacementBuffer}).
   */
  replaceAll(rows: Record<string, T>[], slots?: ArrayLike<number>): void;
  /** Replaces the content with loaded rows built on first use (when the store can hold them so). */
  replaceDeferred?(rows: DeferredItems): void;
}

/**
 * Records with a fixed key set, kept by an inner record buffer; {@link getData} returns one array per
 * key, and the state file holds one column per key (`${path}.msgpack`).
 */
export abstract class DictBuffer<T, Inner extends RecordStore<T> = RecordStore<T>> extends DataBuffer<
  Record<string, T>,
  Record<string, T[]>
> {
  readonly #keys: string[];

  constructor(
    keys: Iterable<string>,
    protected readonly inner: Inner,
    maxQueueSize: number,
  ) {
    super(maxQueueSize);
    this.#keys = normalizeKeys(keys);
  }

  /** The buffer kind recorded in (and checked against) the state file. */
  protected abstract get kind(): string;

  /**
   * Called while the save is captured: references to the records to save; the returned function gives
   * them oldest first when the file is written.
   */
  protected abstract captureRows(): () => Record<string, T>[];

  /**
   * Called while the save is captured: the returned function gives one list per key (in key order),
   * oldest first, when the file is written. Default: the columns of {@link captureRows}.
   */
  protected captureColumns(): () => ItemSource[] {
    const rows = this.captureRows();
    const keys = this.#keys;
    return () => toColumns(rows(), keys);
  }

  /**
   * Called while the save is captured: functions called when the file is written, giving its columns
   * and its settings besides maxSize and keys. Default: {@link captureColumns} and {@link extraConfig}.
   */
  protected captureSave(): { columns: () => ItemSource[]; config: () => Record<string, unknown> } {
    const extra = this.extraConfig();
    return { columns: this.captureColumns(), config: () => extra };
  }

  /** Settings recorded in the state file besides maxSize and keys. */
  protected extraConfig(): Record<string, unknown> {
    return {};
  }

  get maxSize(): number {
    return this.inner.maxSize;
  }

  /** The keys (a copy). */
  get keys(): string[] {
    return [...this.#keys];
  }

  /**
   * Stores a shallow copy of `data`.
   * @throws TypeError when the keys of `data` are not exactly {@link keys}.
   */
  add(data: Record<string, T>): void {
    this.inner.add(checkedRow(data, this.#keys));
  }

  getData(): Record<string, T[]> {
    const columns = toColumns(this.inner.getData(), this.#keys);
    return Object.fromEntries(this.#keys.map((k, i) => [k, columns[i]!]));
  }

  get length(): number {
    return this.inner.length;
  }

  override saveState(path: string): void | Promise<void> {
    return (async () => {
      const { columns, config } = this.captureSave();
      const keys = this.#keys;
      const maxSize = this.maxSize;
      await saveBufferFile(
        path,
        () => ({ kind: this.kind, config: { maxSize, ...config(), keys }, columns: keys }),
        columns,
      );
    })();
  }

  /** @throws BufferStateMismatchError when the file was saved by another kind of buffer or with other keys. */
  override loadState(path: string): void | Promise<void> {
    return (async () => {
      const keys = this.#keys;
      const { meta, columns } = await loadBufferFileDeferred(path, this.kind, keys);
      const numbers = columns.map((c) => (c instanceof DeferredItems ? c.numberValues : undefined));
      if (this.inner.replaceDeferred && numbers.length > 0 && numbers.every((v) => v !== undefined)) {
        // Number columns: the rows are built on first use; until then the columns stand for them.
        const values = numbers as ArrayLike<number>[];
        const n = values[0]!.length;
        this.inner.replaceDeferred(
          new DeferredItems(n, () => toRows(values as unknown as T[][], keys), { numberColumns: { keys, values } }),
        );
        return;
      }
      const lists = columns.map((c) => (c instanceof DeferredItems ? c.materialize() : c)) as T[][];
      this.inner.replaceAll(toRows(lists, keys), meta.config.slots as ArrayLike<number> | undefined);
    })();
  }
}
