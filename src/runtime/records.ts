/**
 * Batches of collected items as they cross from the main thread to the training worker.
 *
 * A batch of plain objects that all have the same keys, whose values per key are all numbers, or all
 * typed arrays of one kind and length, travels as columns: one Float64Array per number field and one
 * contiguous typed array per array field, *transferred* (no copy, no per-item serialization on the
 * agent's thread). Any other batch travels as the items themselves, copied by structured clone. The
 * collection timestamps always travel as a transferred Float64Array.
 *
 * Either way the worker gets its own copy: after a batch is sent, the main thread's items are no
 * longer referenced, so an agent may reuse or mutate them.
 */

import { DTYPE_CTORS, dtypeOf, type TypedArray } from '../codec/typed-arrays.js';

/** One column of a record batch. */
export type Column =
  | { kind: 'number'; values: Float64Array }
  | { kind: 'array'; dtype: number; length: number; values: TypedArray };

/** A batch as posted to the worker. Structured-cloneable; `transfer` lists what may be transferred. */
export type PackedBatch =
  | { form: 'records'; count: number; keys: string[]; columns: Column[]; timestamps: Float64Array }
  | { form: 'items'; items: unknown[]; timestamps: Float64Array };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The dtype code of a typed array of exactly a built-in kind (not a Buffer) in unshared memory, else 0. */
function exactDtype(v: unknown): number {
  const dtype = dtypeOf(v);
  if (dtype === 0 || DTYPE_CTORS[dtype] !== (v as object).constructor) return 0;
  // Shared memory is not snapshotted by a transfer.
  return (v as TypedArray).buffer instanceof SharedArrayBuffer ? 0 : dtype;
}

/** The columns of `items` when every item has the shape of the first, else undefined. */
function columnsOf(items: readonly unknown[]): { keys: string[]; columns: Column[] } | undefined {
  const first = items[0];
  if (!isPlainObject(first)) return undefined;
  const keys = Object.keys(first);
  if (keys.length === 0) return undefined;
  const shapes = keys.map((k) => {
    const v = first[k];
    if (typeof v === 'number') return { kind: 'number' as const };
    const dtype = exactDtype(v);
    if (dtype !== 0) return { kind: 'array' as const, dtype, length: (v as TypedArray).length };
    return undefined;
  });
  if (shapes.some((s) => s === undefined)) return undefined;
  const n = items.length;
  const columns: Column[] = shapes.map((s) =>
    s!.kind === 'number'
      ? { kind: 'number', values: new Float64Array(n) }
      : { kind: 'array', dtype: s!.dtype, length: s!.length, values: new DTYPE_CTORS[s!.dtype]!(n * s!.length) },
  );
  for (let i = 0; i < n; i++) {
    const item = items[i];
    if (!isPlainObject(item)) return undefined;
    let count = 0;
    for (const _ in item) count++;
    if (count !== keys.length) return undefined;
    for (let k = 0; k < keys.length; k++) {
      const v = item[keys[k]!];
      const col = columns[k]!;
      if (col.kind === 'number') {
        if (typeof v !== 'number') return undefined;
        col.values[i] = v;
      } else {
        if (exactDtype(v) !== col.dtype || (v as TypedArray).length !== col.length) return undefined;
        (col.values as Float64Array).set(v as Float64Array, i * col.length);
      }
    }
  }
  return { keys, columns };
}

/**
 * Packs `items` (with their timestamps) for posting: returns the message and the buffers to transfer.
 */
export function packBatch(items: readonly unknown[], timestamps: readonly number[]): {
  batch: PackedBatch;
  transfer: ArrayBuffer[];
} {
  const stamps = Float64Array.from(timestamps);
  const cols = items.length > 0 ? columnsOf(items) : undefined;
  if (cols) {
    const transfer = [stamps.buffer, ...cols.columns.map((c) => c.values.buffer as ArrayBuffer)];
    return { batch: { form: 'records', count: items.length, ...cols, timestamps: stamps }, transfer };
  }
  return { batch: { form: 'items', items: items as unknown[], timestamps: stamps }, transfer: [stamps.buffer] };
}

/** The items of a packed batch, as the agent collected them (records rebuilt with their own arrays). */
export function unpackBatch(batch: PackedBatch): unknown[] {
  if (batch.form === 'items') return batch.items;
  const { count, keys, columns } = batch;
  const items = new Array<Record<string, unknown>>(count);
  for (let i = 0; i < count; i++) {
    const item: Record<string, unknown> = {};
    for (let k = 0; k < keys.length; k++) {
      const col = columns[k]!;
      item[keys[k]!] =
        col.kind === 'number' ? col.values[i] : col.values.slice(i * col.length, (i + 1) * col.length);
    }
    items[i] = item;
  }
  return items;
}
