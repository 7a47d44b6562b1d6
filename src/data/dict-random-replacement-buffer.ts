import { DictBuffer } from './dict-buffer.js';
import { RandomReplacementBuffer, type RandomReplacementOptions } from './random-replacement-buffer.js';
import type { ItemSource } from '../codec/records.js';
import { toColumns } from './dict-keys.js';

/**
 * A {@link RandomReplacementBuffer} of records with a fixed key set; {@link getData} returns one array
 * per key. State: `${path}.msgpack` with one column per key, oldest first.
 */
export class DictRandomReplacementBuffer<T = unknown> extends DictBuffer<
  T,
  RandomReplacementBuffer<Record<string, T>>
> {
  /** @throws as {@link RandomReplacementBuffer}'s constructor. */
  constructor(keys: Iterable<string>, maxSize: number, options: RandomReplacementOptions = {}) {
    const inner = new RandomReplacementBuffer<Record<string, T>>(maxSize, options);
    super(keys, inner, inner.maxQueueSize!);
  }

  get replaceProbability(): number {
    return this.inner.replaceProbability;
  }

  get isFull(): boolean {
    return this.inner.isFull;
  }

  protected get kind(): string {
    return 'DictRandomReplacementBuffer';
  }

  protected override extraConfig(): Record<string, unknown> {
    return { replaceProbability: this.replaceProbability };
  }

  protected captureRows(): () => Record<string, T>[] {
    const byAge = this.inner.captureByAge();
    return () => byAge().items;
  }

  /**
   * The rows oldest first, and `slots` (each slot's age rank) in the settings, as
   * RandomReplacementBuffer saves them: a load puts every record back into its slot.
   */
  protected override captureSave(): { columns: () => ItemSource[]; config: () => Record<string, unknown> } {
    const byAge = this.inner.captureByAge();
    const keys = this.keys;
    const replaceProbability = this.replaceProbability;
    return {
      columns: () => toColumns(byAge().items, keys),
      config: () => ({ replaceProbability, slots: byAge().slots }),
    };
  }
}
