/** Key handling shared by the dict buffers. */

/** The keys, deduplicated, in their given order. */
export function normalizeKeys(keys: Iterable<string>): string[] {
  return [...new Set(keys)];
}

/**
 * A shallow copy of `data` holding exactly `keys`.
 * @throws TypeError when the keys of `data` differ from `keys` (missing, extra or different).
 */
export function checkedRow<T>(data: Record<string, T>, keys: readonly string[]): Record<string, T> {
  const given = Object.keys(data);
  if (given.length !== keys.length || !keys.every((k) => Object.hasOwn(data, k))) {
    throw new TypeError(
      `Data keys ${JSON.stringify([...given].sort())} do not match expected keys ${JSON.stringify([...keys].sort())}.`,
    );
  }
  const row: Record<string, T> = {};
  for (const k of keys) row[k] = data[k]!;
  return row;
}

/** Rows → one array per key. */
export function toColumns<T>(rows: readonly Record<string, T>[], keys: readonly string[]): T[][] {
  return keys.map((k) => rows.map((r) => r[k]!));
}

/** One array per key (same lengths) → rows. */
export function toRows<T>(columns: readonly (readonly T[])[], keys: readonly string[]): Record<string, T>[] {
  const n = columns[0]?.length ?? 0;
  const rows: Record<string, T>[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const row: Record<string, T> = {};
    for (let j = 0; j < keys.length; j++) row[keys[j]!] = columns[j]![i]!;
    rows[i] = row;
  }
  return rows;
}
