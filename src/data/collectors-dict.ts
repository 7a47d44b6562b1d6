import type { DataCollector } from './collector.js';
import { KeyError } from './key-error.js';

/**
 * The data collectors by name, as agents see them. Each collector can be acquired once: one agent
 * feeds one stream (acquisitions are never released, as in the original).
 */
export class DataCollectorsDict extends Map<string, DataCollector<any>> {
  private readonly acquired = new Set<string>();

  /**
   * Hands out the collector `name`.
   * @throws KeyError when there is no such collector ("Data collector 'x' not found.") or it was
   *   acquired before ("Data collector 'x' is already acquired.").
   */
  acquire<T = unknown>(name: string): DataCollector<T> {
    const collector = super.get(name);
    if (collector === undefined) throw new KeyError(`Data collector '${name}' not found.`, name);
    if (this.acquired.has(name)) throw new KeyError(`Data collector '${name}' is already acquired.`, name);
    this.acquired.add(name);
    return collector as DataCollector<T>;
  }
}
