/**
 * Batches of collected items as they cross from the main thread to the training worker.
 *
 * A batch of plain objects that all have the same keys is encoded by the buffer files' own record
 * encoder ({@link encodeRecords}, docs/engine.md "Record batches"): number columns as the narrowest
 * exact typed array, boolean columns as 0/1 bytes, equal typed arrays of one exact built-in kind as
 * one contiguous tensor column. When every column is one of those, the batch travels as those
 * columns, *transferred* (no copy, no per-item serialization on the agent's thread), and the worker
 * decodes it with {@link decodeRecords} (tensor fields become views of their column). Any other batch
 * travels as the items themselves, copied by structured clone. The collection timestamps always
 * travel as a transferred Float64Array.
 *
 * Either way the worker gets its own copy: after a batch is sent, the main thread's items are no
 * longer referenced, so an agent may reuse or mutate them.
 */

import { decodeRecords, encodeRecords, packTensorColumn, type RecordBatch } from '../codec/records.js';
import { DTYPE_CTORS, dtypeOf, type TypedArray } from '../codec/typed-arrays.js';

/** A batch as posted to the worker. Structured-cloneable; `transfer` lists what may be transferred. */
export type PackedBatch =
  | { form: 'records'; batch: RecordBatch; timestamps: Float64Array }
  | { form: 'items'; items: unknown[]; timestamps: Float64Array };

/** Whether every part is a typed array of exactly the built-in kind `dtype` (not a Buffer) in unshared memory. */
function exactParts(parts: readonly TypedArray[], dtype: number): boolean {
  const Ctor = DTYPE_CTORS[dtype];
  // Shared memory is not snapshotted by a transfer; a subclass (Buffer) would come back as its base.
  for (const p of parts) if (p.constructor !== Ctor || p.buffer instanceof SharedArrayBuffer) return false;
  return true;
}

/** The batch with every column in one transferable typed array, or undefined when a column cannot be. */
function transferable(batch: RecordBatch): RecordBatch | undefined {
  const columns: TypedArray[] = [];
  for (let j = 0; j < batch.keys.length; j++) {
    const col = batch.columns[j]!;
    switch (batch.kinds[j]) {
      case 'number':
      case 'boolean':
        columns.push(col as TypedArray); // fresh arrays of the encoder: nothing of the items
        break;
      case 'tensor': {
        const parts = col as TypedArray[];
        const dtype = dtypeOf(parts[0]);
        if (!exactParts(parts, dtype)) return undefined;
        columns.push(packTensorColumn(parts, dtype, batch.widths[j]!));
        break;
      }
      default:
        return undefined;
    }
  }
  return { ...batch, columns };
}

/**
 * Packs `items` (with their timestamps) for posting: returns the message and the buffers to transfer.
 */
export function packBatch(
  items: readonly unknown[],
  timestamps: readonly number[],
): {
  batch: PackedBatch;
  transfer: ArrayBuffer[];
} {
  const stamps = Float64Array.from(timestamps);
  const encoded = items.length > 0 ? encodeRecords(items) : undefined;
  const batch = encoded && transferable(encoded);
  if (batch) {
    const transfer = [stamps.buffer, ...(batch.columns as TypedArray[]).map((c) => c.buffer as ArrayBuffer)];
    return { batch: { form: 'records', batch, timestamps: stamps }, transfer };
  }
  return { batch: { form: 'items', items: items as unknown[], timestamps: stamps }, transfer: [stamps.buffer] };
}

/** The items of a packed batch, as the agent collected them (records rebuilt, typed arrays as views of their column). */
export function unpackBatch(packed: PackedBatch): unknown[] {
  return packed.form === 'items' ? packed.items : decodeRecords(packed.batch);
}
