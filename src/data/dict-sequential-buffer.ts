import { DictBuffer } from './dict-buffer.js';
import { SequentialBuffer, type SequentialBufferOptions } from './sequential-buffer.js';
import { NumberRuns, sameKeys, type ItemSource } from '../codec/records.js';
import { toColumns } from './dict-keys.js';

/**
 * A {@link SequentialBuffer} of records with a fixed key set; {@link getData} returns one array per key.
 * State: `${path}.msgpack` with one column per key.
 */
export class DictSequentialBuffer<T = unknown> extends DictBuffer<T, SequentialBuffer<Record<string, T>>> {
  /** One array per key; loaded number columns not built into rows yet are read directly. */
  override getData(): Record<string, T[]> {
    const loaded = this.inner.deferredNumbers();
    if (!loaded) return super.getData();
    const keys = this.keys;
    return Object.fromEntries(keys.map((k, j) => [k, numberArray(loaded.values[j]!) as T[]]));
  }

  /** @throws RangeError unless `maxSize` is a positive integer. */
  constructor(keys: Iterable<string>, maxSize: number, options: SequentialBufferOptions = {}) {
    super(keys, new SequentialBuffer<Record<string, T>>(maxSize, options), maxSize);
  }

  protected get kind(): string {
    return 'DictSequentialBuffer';
  }

  protected captureRows(): () => Record<string, T>[] {
    return this.inner.captureItems();
  }

  /**
   * When every row is mirrored as number columns with exactly the dict's keys (the inner buffer's
   * number mirror, data/number-mirror.ts), the columns are those parts, referenced in place; else the rows' columns.
   */
  protected override captureColumns(): () => ItemSource[] {
    const loaded = this.inner.deferredNumbers();
    if (loaded && loaded.values.length > 0 && loaded.values[0]!.length > 0) {
      // Loaded number columns not built into rows yet: written from the columns (converted when called).
      return () => loaded.values.map((v) => new NumberRuns([Float64Array.from(v)]));
    }
    const runs = this.inner.captureRuns();
    const keys = this.keys;
    const mirrored =
      runs.length > 0 &&
      sameKeys(runs.mirrorKeys, keys) &&
      runs.runs.every((r) => r.cols !== undefined && (r.colsUpTo ?? 0) >= r.to);
    if (mirrored) {
      return () => keys.map((_, j) => new NumberRuns(runs.runs.map((r) => r.cols![j]!.subarray(r.from, r.to))));
    }
    return () => toColumns(runs.flat() as Record<string, T>[], keys);
  }
}

/** The values as a new array (a plain loop: several times faster than Array.from on a typed array). */
function numberArray(values: ArrayLike<number>): number[] {
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]!;
  return out;
}
