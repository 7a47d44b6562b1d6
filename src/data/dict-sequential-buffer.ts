import { DictBuffer } from './dict-buffer.js';
import { SequentialBuffer } from './sequential-buffer.js';

/**
 * A {@link SequentialBuffer} of records with a fixed key set; {@link getData} returns one array per key.
 * State: `${path}.msgpack` with one column per key.
 */
export class DictSequentialBuffer<T = unknown> extends DictBuffer<T, SequentialBuffer<Record<string, T>>> {
  /** @throws RangeError unless `maxSize` is a positive integer. */
  constructor(keys: Iterable<string>, maxSize: number) {
    super(keys, new SequentialBuffer<Record<string, T>>(maxSize), maxSize);
  }

  protected get kind(): string {
    return 'DictSequentialBuffer';
  }

  protected captureRows(): () => Record<string, T>[] {
    return this.inner.captureItems();
  }
}
