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

type TypedArrayCtor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int8ArrayConstructor
  | Int16ArrayConstructor
  | Int32ArrayConstructor
  | Uint8ArrayConstructor
  | Uint8ClampedArrayConstructor
  | Uint16ArrayConstructor
  | Uint32ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

const CTORS: Record<string, TypedArrayCtor> = {
  Float32Array,
  Float64Array,
  Int8Array,
  Int16Array,
  Int32Array,
  Uint8Array,
  Uint8ClampedArray,
  Uint16Array,
  Uint32Array,
  BigInt64Array,
  BigUint64Array,
};

type AnyTypedArray = InstanceType<TypedArrayCtor>;

/** One column of a record batch. */
export type Column =
  | { kind: 'number'; values: Float64Array }
  | { kind: 'array'; type: string; length: number; values: AnyTypedArray };

/** A batch as posted to the worker. Structured-cloneable; `transfer` lists what may be transferred. */
export type PackedBatch =
  | { form: 'records'; count: number; keys: string[]; columns: Column[]; timestamps: Float64Array }
  | { form: 'items'; items: unknown[]; timestamps: Float64Array };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function typedName(v: unknown): string | undefined {
  if (!ArrayBuffer.isView(v) || v instanceof DataView) return undefined;
  if (v.buffer instanceof SharedArrayBuffer) return undefined; // shared memory is not snapshotted by a transfer
  const name = (v as object).constructor.name;
  return CTORS[name] === (v as object).constructor ? name : undefined;
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
    const type = typedName(v);
    if (type !== undefined) return { kind: 'array' as const, type, length: (v as AnyTypedArray).length };
    return undefined;
  });
  if (shapes.some((s) => s === undefined)) return undefined;
  const n = items.length;
  const columns: Column[] = shapes.map((s) =>
    s!.kind === 'number'
      ? { kind: 'number', values: new Float64Array(n) }
      : { kind: 'array', type: s!.type, length: s!.length, values: new CTORS[s!.type]!(n * s!.length) },
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
        if (typedName(v) !== col.type || (v as AnyTypedArray).length !== col.length) return undefined;
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
