import { DataBuffer } from './buffer.js';
import { loadBufferFile, saveBufferFile } from './buffer-file.js';
import { checkedRow, normalizeKeys, toColumns, toRows } from './dict-keys.js';
import {
  RandomReplacementBuffer,
  sortByAge,
  type RandomReplacementOptions,
} from './random-replacement-buffer.js';

/**
 * A {@link RandomReplacementBuffer} of records with a fixed key set; {@link getData} returns one array
 * per key. State: `${path}.msgpack` with one column per key, oldest first.
 */
export class DictRandomReplacementBuffer<T = unknown> extends DataBuffer<
  Record<string, T>,
  Record<string, T[]>
> {
  private readonly inner: RandomReplacementBuffer<Record<string, T>>;
  readonly #keys: string[];

  /** @throws as {@link RandomReplacementBuffer}'s constructor. */
  constructor(keys: Iterable<string>, maxSize: number, options: RandomReplacementOptions = {}) {
    const inner = new RandomReplacementBuffer<Record<string, T>>(maxSize, options);
    super(inner.maxQueueSize);
    this.inner = inner;
    this.#keys = normalizeKeys(keys);
  }

  get maxSize(): number {
    return this.inner.maxSize;
  }

  get replaceProbability(): number {
    return this.inner.replaceProbability;
  }

  get isFull(): boolean {
    return this.inner.isFull;
  }

  /** The keys (a copy). */
  get keys(): string[] {
    return [...this.#keys];
  }

  /**
   * Stores a shallow copy of `data` (or drops it, see {@link RandomReplacementBuffer}).
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
      const { items, ages } = this.inner.capture();
      const keys = this.#keys;
      await saveBufferFile(
        path,
        {
          kind: 'DictRandomReplacementBuffer',
          config: { maxSize: this.maxSize, replaceProbability: this.replaceProbability, keys },
          columns: keys,
        },
        () => toColumns(sortByAge(items, ages), keys),
      );
    })();
  }

  /** @throws BufferStateMismatchError when the file was saved by another kind of buffer or with other keys. */
  override loadState(path: string): void | Promise<void> {
    return (async () => {
      const { columns } = await loadBufferFile(path, 'DictRandomReplacementBuffer', this.#keys);
      this.inner.replaceAll(toRows(columns as T[][], this.#keys));
    })();
  }
}
