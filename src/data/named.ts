/** Named collections accepted by the dicts: a plain object, a Map, or [name, value] pairs. */
export type Named<V> = Record<string, V> | Iterable<readonly [string, V]>;

export function namedEntries<V>(source: Named<V> | undefined): [string, V][] {
  if (source === undefined) return [];
  if (Symbol.iterator in (source as object)) {
    return [...(source as Iterable<readonly [string, V]>)].map(([k, v]) => [k, v]);
  }
  return Object.entries(source as Record<string, V>);
}
