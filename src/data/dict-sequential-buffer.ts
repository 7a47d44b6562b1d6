import { DataBuffer } from './buffer.js';
import { loadBufferFile, saveBufferFile } from './buffer-file.js';
import { checkedRow, normalizeKeys, toColumns, toRows } from './dict-keys.js';
import { SequentialBuffer } from './sequential-buffer.js';

/**
 * A {@link SequentialBuffer} of records with a fixed key set; {@link getData} returns one array per key.
 * State: `${path}.msgpack` with one column per key.
 */
export class DictSequentialBuffer<T = unknown> extends DataBuffer<Record<string, T>, Record<string, T[]>> {
  private readonly inner: SequentialBuffer<Record<string, T>>;
  readonly #keys: string[];

  /** @throws RangeError unless `maxSize` is a positive integer. */
  constructor(keys: Iterable<string>, maxSize: number) {
    const inner = new SequentialBuffer<Record<string, T>>(maxSize);
    super(maxSize);
    this.inner = inner;
    this.#keys = normalizeKeys(keys);
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
      const rows = this.inner.getData();
      const keys = this.#keys;
      await saveBufferFile(
        path,
        { kind: 'DictSequentialBuffer', config: { maxSize: this.maxSize, keys }, columns: keys },
        () => toColumns(rows, keys),
      );
    })();
  }

  /** @throws BufferStateMismatchError when the file was saved by another kind of buffer or with other keys. */
  override loadState(path: string): void | Promise<void> {
    return (async () => {
      const { columns } = await loadBufferFile(path, 'DictSequentialBuffer', this.#keys);
      this.inner.replaceAll(toRows(columns as T[][], this.#keys));
    })();
  }
}
