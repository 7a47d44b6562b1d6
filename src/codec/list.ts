/**
 * Lists (docs/engine.md, "Lists"): one msgpack array of items, written the fastest correct way —
 * numbers through the engine's encodeNumbers, typed arrays as aligned ext-1 items referenced zero-copy,
 * anything else through @msgpack/msgpack per item. The bytes are the same whichever path is taken.
 */
import type { Segment } from '../backend/types.js';
import { engine } from '../backend/select.js';
import { SegmentBuilder } from './segments.js';
import { DeferredItems, type ItemRuns } from './records.js';
import { bytesOf, dtypeOf, typedArrayAt, type TypedArray } from './typed-arrays.js';
import { EXT_TYPED_ARRAY, SerializationError, decodeValue, encodeValueWith } from './values.js';

/** Typed-array payloads start at file offsets that are multiples of this. */
export const TENSOR_ALIGN = 8;

export type ListKind = 'numbers' | 'tensors' | 'mixed';

/** Which path {@link encodeList} takes for `items`, and the width of number rows (0 = scalars). */
export function classifyList(items: readonly unknown[]): { kind: ListKind; width: number } {
  const n = items.length;
  if (n === 0) return { kind: 'numbers', width: 0 };
  const first = items[0];
  if (typeof first === 'number') {
    for (let i = 1; i < n; i++) if (typeof items[i] !== 'number') return { kind: 'mixed', width: 0 };
    return { kind: 'numbers', width: 0 };
  }
  if (Array.isArray(first)) {
    const width = first.length;
    if (width === 0) return { kind: 'mixed', width: 0 };
    for (let i = 0; i < n; i++) {
      const row = items[i];
      if (!Array.isArray(row) || row.length !== width) return { kind: 'mixed', width: 0 };
      for (let j = 0; j < width; j++) if (typeof row[j] !== 'number') return { kind: 'mixed', width: 0 };
    }
    return { kind: 'numbers', width };
  }
  if (dtypeOf(first) !== 0) {
    for (let i = 1; i < n; i++) if (dtypeOf(items[i]) === 0) return { kind: 'mixed', width: 0 };
    return { kind: 'tensors', width: 0 };
  }
  return { kind: 'mixed', width: 0 };
}

/** Size of the smallest ext header (type byte included) for a payload of `len` bytes. */
function extHeaderSize(len: number): number {
  if (len === 1 || len === 2 || len === 4 || len === 8 || len === 16) return 2;
  if (len < 0x100) return 3;
  if (len < 0x10000) return 4;
  return 6;
}

/** The smallest pad that makes the raw data of an ext-1 item starting at `pos` aligned. */
export function tensorPad(pos: number, byteLength: number): number {
  for (let pad = 0; pad < 256; pad++) {
    if ((pos + extHeaderSize(2 + pad + byteLength) + 2 + pad) % TENSOR_ALIGN === 0) return pad;
  }
  throw new Error('unreachable: no pad aligns the typed array');
}

export function writeExtHeader(b: SegmentBuilder, len: number): void {
  switch (len) {
    case 1:
      b.u8(0xd4);
      break;
    case 2:
      b.u8(0xd5);
      break;
    case 4:
      b.u8(0xd6);
      break;
    case 8:
      b.u8(0xd7);
      break;
    case 16:
      b.u8(0xd8);
      break;
    default:
      if (len < 0x100) {
        b.u8(0xc7);
        b.u8(len);
      } else if (len < 0x10000) {
        b.u8(0xc8);
        b.u16(len);
      } else {
        b.u8(0xc9);
        b.u32(len);
      }
  }
  b.i8(EXT_TYPED_ARRAY);
}

/** Number rows encoded per engine call: large enough for parallel encoding, small enough to interleave. */
const NUMBER_ROWS_PER_CALL = 65_536;

/**
 * Encodes `items` as one msgpack array starting at absolute file offset `startOffset` (so typed-array
 * payloads can be aligned), choosing the numbers / tensors / mixed path of docs/engine.md. Typed arrays
 * are referenced, not copied. Throws SerializationError for an item that cannot be written; its path starts
 * with the item's index (`[i]…`, also as `.index`).
 */
export function encodeList(items: readonly unknown[], startOffset: number): Segment[] {
  const b = new SegmentBuilder(startOffset);
  const out: Segment[] = [];
  for (const batch of encodeListInto(b, items)) out.push(...batch);
  out.push(...b.take());
  return out;
}

/**
 * Writes the list into `b`, yielding a batch of segments (see {@link SegmentBuilder.full}) whenever one
 * is ready; what is left after the last yield stays in `b` for the caller to take.
 */
export function* encodeListInto(b: SegmentBuilder, items: readonly unknown[]): Generator<Segment[], void, undefined> {
  const n = items.length;
  if (n >= 0x100000000) throw SerializationError.at(`cannot write a list of ${n} items (msgpack allows < 2^32)`, '');
  b.arrayHeader(n);
  const { kind, width } = classifyList(items);
  if (kind === 'numbers' && n > 0) {
    const rowWidth = Math.max(width, 1);
    for (let from = 0; from < n; from += NUMBER_ROWS_PER_CALL) {
      const to = Math.min(n, from + NUMBER_ROWS_PER_CALL);
      const values = new Float64Array((to - from) * rowWidth);
      if (width === 0) {
        for (let i = from; i < to; i++) values[i - from] = items[i] as number;
      } else {
        let k = 0;
        for (let i = from; i < to; i++) {
          const row = items[i] as number[];
          for (let j = 0; j < width; j++) values[k++] = row[j]!;
        }
      }
      b.ref(engine().encodeNumbers(values, width));
      yield b.take();
    }
  } else if (kind === 'tensors') {
    for (let i = 0; i < n; i++) {
      const ta = items[i] as TypedArray;
      const dtype = dtypeOf(ta);
      const data = bytesOf(ta);
      const pad = tensorPad(b.offset, data.length);
      const len = 2 + pad + data.length;
      if (len >= 0x100000000) {
        throw SerializationError.at(
          `cannot write a typed array of ${data.length} bytes (msgpack ext allows < 4 GiB)`,
          `[${i}]`,
        );
      }
      writeExtHeader(b, len);
      b.u8(dtype);
      b.u8(pad);
      b.zeros(pad);
      b.ref(data);
      if (b.full) yield b.take();
    }
  } else if (kind === 'mixed') {
    for (let i = 0; i < n; i++) {
      try {
        encodeValueWith(items[i], (bytes) => b.copy(bytes));
      } catch (err) {
        if (err instanceof SerializationError) throw err.under(`[${i}]`);
        throw err;
      }
      if (b.full) yield b.take();
    }
  }
}

/**
 * Writes `items`, rows of `width` numbers all mirrored (see {@link ItemRuns.mirrorRowWidth}), as the
 * numbers path of {@link encodeListInto} writes them, from the mirrored rows: the same bytes, without
 * reading the row arrays. False, having written nothing, when some run is not fully mirrored.
 */
export function* encodeMirroredRowsInto(b: SegmentBuilder, items: ItemRuns): Generator<Segment[], boolean, undefined> {
  const width = items.mirrorRowWidth;
  const n = items.length;
  if (width === undefined || n === 0 || n >= 0x100000000) return false;
  for (const r of items.runs) if (!r.cols || (r.colsUpTo ?? 0) < r.to) return false;
  b.arrayHeader(n);
  for (const r of items.runs) {
    const rows = r.cols![0]!;
    for (let from = r.from; from < r.to; from += NUMBER_ROWS_PER_CALL) {
      const to = Math.min(r.to, from + NUMBER_ROWS_PER_CALL);
      b.ref(engine().encodeNumbers(rows.subarray(from * width, to * width), width));
      yield b.take();
    }
  }
  return true;
}

/** Decodes the list at `offset`; typed arrays are zero-copy views into `bytes` where aligned. */
export function decodeList(bytes: Uint8Array, offset: number): { items: unknown[]; end: number } {
  const { items, end } = decodeListDeferred(bytes, offset);
  return { items: items instanceof DeferredItems ? items.materialize() : items, end };
}

/** The rows of `count × width` numbers, each a new array. */
function numberRows(values: ArrayLike<number>, width: number, count: number): number[][] {
  // Plain loops: Array.from on a subarray per row costs several times more for millions of rows.
  const items = new Array<number[]>(count);
  for (let i = 0, k = 0; i < count; i++) {
    const row = new Array<number>(width);
    for (let j = 0; j < width; j++) row[j] = values[k++]!;
    items[i] = row;
  }
  return items;
}

/**
 * Like {@link decodeList}, but a list of number rows comes back as {@link DeferredItems}: scanned and
 * checked now, its row arrays built on first use (the same arrays an eager decode builds).
 * @throws as decodeList.
 */
export function decodeListDeferred(
  bytes: Uint8Array,
  offset: number,
): { items: unknown[] | DeferredItems; end: number } {
  const scan = engine().scanList(bytes, offset);
  switch (scan.kind) {
    case 'numbers': {
      const { values, width, count } = scan;
      if (width === 0) return { items: Array.from(values), end: scan.end };
      return {
        items: new DeferredItems(count, () => numberRows(values, width, count), {
          numberRows: { rowWidth: width, values },
        }),
        end: scan.end,
      };
    }
    case 'tensors': {
      const items = new Array<TypedArray>(scan.count);
      for (let i = 0; i < scan.count; i++) {
        items[i] = typedArrayAt(bytes, scan.dtypes[i]!, scan.offsets[i]!, scan.byteLengths[i]!);
      }
      return { items, end: scan.end };
    }
    case 'mixed': {
      const items = decodeValue(bytes.subarray(offset, scan.end));
      if (!Array.isArray(items))
        throw new Error(`unreachable: the list at offset ${offset} did not decode to an array`);
      return { items, end: scan.end };
    }
  }
}
