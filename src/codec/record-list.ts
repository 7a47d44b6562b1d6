/**
 * A record batch inside a file (docs/engine.md, "Record batches"): one msgpack map
 *
 *   { "layout": "records", "count": n, "keys": [...], "kinds": [...], "widths": [...],
 *     "columns": [ column₀ … columnₖ ] }
 *
 * where a number, boolean or tensor column is one ext-1 typed array whose raw data starts at a file
 * offset that is a multiple of 8 (a tensor column's payload is the items' bytes back to back, each
 * item referenced zero-copy), and a value column is a msgpack array of the values.
 */
import { EngineError } from '../backend/types.js';
import { decodeMsgpackAt } from './decode.js';
import { tensorPad, writeExtHeader } from './list.js';
import {
  DeferredItems,
  classifyColumn,
  decodeRecords,
  encodeRecordsSteps,
  flatItems,
  narrowPartsSteps,
  NumberRuns,
  type ItemSource,
  type RecordBatch,
} from './records.js';
import type { SegmentBuilder } from './segments.js';
import type { Segment } from '../backend/types.js';
import { bytesOf, dtypeOf, type TypedArray } from './typed-arrays.js';
import { SerializationError, encodeValue, encodeValueWith } from './values.js';

export const RECORDS_LAYOUT = 'records';
/** A batch of one unnamed column: its items are the values themselves, not objects. */
export const COLUMN_LAYOUT = 'column';

function keyStep(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** Writes the ext-1 header, dtype and pad of a typed array of `byteLength` bytes at `b`'s offset. */
function typedHeader(b: SegmentBuilder, dtype: number, byteLength: number, at: string): void {
  const pad = tensorPad(b.offset, byteLength);
  const len = 2 + pad + byteLength;
  if (len >= 0x100000000)
    throw SerializationError.at(`cannot write a column of ${byteLength} bytes (msgpack ext allows < 4 GiB)`, at);
  writeExtHeader(b, len);
  b.u8(dtype);
  b.u8(pad);
  b.zeros(pad);
}

/**
 * Writes `items` as a record batch when they are records of one shape (yielding batches of segments
 * as {@link SegmentBuilder.full} says, and possibly empty batches between steps of the column
 * building); returns false, having written nothing, when they are not.
 * @throws SerializationError for a value that cannot be written, its path starting `[i].key`.
 */
export function* encodeRecordListInto(b: SegmentBuilder, items: ItemSource): Generator<Segment[], boolean, undefined> {
  let layout = RECORDS_LAYOUT;
  // Built in steps; each step ends with a (possibly empty) batch, a turn for the loops in between.
  const steps = encodeRecordsSteps(items, true);
  let batch: RecordBatch | undefined;
  for (;;) {
    const r = steps.next();
    if (r.done) {
      batch = r.value;
      break;
    }
    yield b.take();
  }
  if (!batch && items instanceof NumberRuns && items.length > 0) {
    // Numbers given as Float64 parts: the column classifyColumn makes of them, without the list.
    const steps = narrowPartsSteps(items.parts);
    let r = steps.next();
    for (; !r.done; r = steps.next()) yield b.take();
    layout = COLUMN_LAYOUT;
    batch = { count: items.length, keys: [''], kinds: ['number'], widths: [0], columns: [r.value] };
  }
  if (!batch && items.length > 0) {
    // A list of numbers, booleans or equal typed arrays: one unnamed column (exact: -0 stays -0).
    const c = classifyColumn(flatItems(items));
    if (c.kind === 'value') return false;
    layout = COLUMN_LAYOUT;
    batch = { count: items.length, keys: [''], kinds: [c.kind], widths: [c.width], columns: [c.data] };
  }
  if (!batch) return false;
  const head = encodeValue({ layout, count: batch.count, keys: batch.keys, kinds: batch.kinds, widths: batch.widths });
  // A fixmap of 5 entries (0x85): one more entry, "columns", follows.
  const map = head.slice();
  map[0] = 0x86;
  b.copy(map);
  b.copy(encodeValue('columns'));
  b.arrayHeader(batch.keys.length);
  const n = batch.count;
  for (let j = 0; j < batch.keys.length; j++) {
    const key = batch.keys[j]!;
    const col = batch.columns[j]!;
    switch (batch.kinds[j]) {
      case 'number':
      case 'boolean': {
        if (Array.isArray(col)) {
          // A Float64 column given as its parts (encodeRecordsSteps with parts): referenced in place.
          const parts = col as Float64Array[];
          typedHeader(b, dtypeOf(parts[0]!), n * 8, keyStep(key));
          for (const p of parts) {
            b.ref(bytesOf(p));
            if (b.full) yield b.take();
          }
          break;
        }
        const ta = col as TypedArray;
        typedHeader(b, dtypeOf(ta), ta.byteLength, keyStep(key));
        b.ref(bytesOf(ta));
        break;
      }
      case 'tensor': {
        const parts = col as TypedArray[];
        const first = parts[0]!;
        typedHeader(b, dtypeOf(first), first.byteLength * n, keyStep(key));
        for (let i = 0; i < n; i++) {
          b.ref(bytesOf(parts[i]!));
          if (b.full) yield b.take();
        }
        break;
      }
      case 'value': {
        const values = col as unknown[];
        b.arrayHeader(n);
        for (let i = 0; i < n; i++) {
          try {
            encodeValueWith(values[i], (bytes) => b.copy(bytes));
          } catch (err) {
            if (err instanceof SerializationError)
              throw err.under(layout === COLUMN_LAYOUT ? `[${i}]` : `[${i}]${keyStep(key)}`);
            throw err;
          }
          if (b.full) yield b.take();
        }
        break;
      }
    }
    if (b.full) yield b.take();
  }
  return true;
}

/** True when the value at `offset` is a map (a record batch; other lists are arrays). */
export function isRecordList(bytes: Uint8Array, offset: number): boolean {
  const b = bytes[offset];
  return b !== undefined && ((b >= 0x80 && b <= 0x8f) || b === 0xde || b === 0xdf);
}

/**
 * Reads the record batch at `offset`: its items (typed-array values zero-copy views into `bytes`)
 * and where it ends.
 * @throws EngineError EBADMSGPACK when the bytes are not a well-formed record batch.
 */
export function decodeRecordList(bytes: Uint8Array, offset: number): { items: unknown[]; end: number } {
  const { items, end } = decodeRecordListDeferred(bytes, offset);
  return { items: items.materialize(), end };
}

/**
 * Like {@link decodeRecordList}, but the objects are built on first use ({@link DeferredItems}); the
 * bytes are checked and the columns decoded now, so a malformed batch still fails here.
 * @throws EngineError EBADMSGPACK when the bytes are not a well-formed record batch.
 */
export function decodeRecordListDeferred(bytes: Uint8Array, offset: number): { items: DeferredItems; end: number } {
  const { value, end } = decodeMsgpackAt(bytes, offset);
  const bad = (what: string): never => {
    throw new EngineError('EBADMSGPACK', `malformed record batch at offset ${offset}: ${what}`);
  };
  const m = value as Record<string, unknown>;
  if (m.layout !== RECORDS_LAYOUT && m.layout !== COLUMN_LAYOUT)
    bad(`"layout" is ${JSON.stringify(m.layout)}, expected "${RECORDS_LAYOUT}" or "${COLUMN_LAYOUT}"`);
  const { count, keys, kinds, widths, columns } = m;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0)
    bad('"count" is not a non-negative integer');
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string') || new Set(keys).size !== keys.length)
    bad('"keys" is not an array of distinct strings');
  if (!Array.isArray(kinds) || !Array.isArray(widths) || !Array.isArray(columns))
    bad('"kinds", "widths" or "columns" is not an array');
  if (!(widths as unknown[]).every((w) => typeof w === 'number' && Number.isSafeInteger(w) && w >= 0))
    bad('"widths" holds a value that is not a non-negative integer');
  if (m.layout === COLUMN_LAYOUT && (keys as unknown[]).length !== 1) bad('a "column" batch must have exactly one key');
  const batch = { count, keys, kinds, widths, columns } as RecordBatch;
  let build: () => unknown[];
  try {
    if (m.layout === COLUMN_LAYOUT) {
      decodeRecords(batch, 0);
      let values: unknown[] | undefined;
      build = () => (values ??= columnValues(batch));
    } else {
      build = checkedBuild(batch);
    }
  } catch (err) {
    if (err instanceof RangeError) bad(err.message);
    throw err;
  }
  const allNumbers = batch.kinds.every((k) => k === 'number');
  const numbers =
    allNumbers && m.layout === RECORDS_LAYOUT
      ? { numberColumns: { keys: batch.keys, values: batch.columns as unknown as ArrayLike<number>[] } }
      : allNumbers
        ? { numberValues: batch.columns[0] as unknown as ArrayLike<number> }
        : {};
  return { items: new DeferredItems(count as number, build, numbers), end };
}

/** Checks the batch now (decoding zero items) and returns the function that builds its items. */
function checkedBuild(batch: RecordBatch): () => unknown[] {
  decodeRecords(batch, 0);
  return () => decodeRecords(batch);
}

/** The values of a one-column batch (checked by decodeRecords), without building objects. */
function columnValues(batch: RecordBatch): unknown[] {
  const n = batch.count;
  const c = batch.columns[0]!;
  switch (batch.kinds[0]) {
    case 'number':
      return Array.from(c as ArrayLike<number>);
    case 'boolean':
      return Array.from(c as Uint8Array, (v) => v === 1);
    case 'tensor': {
      if (Array.isArray(c)) return c;
      const w = batch.widths[0]!;
      const t = c as Uint8Array;
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) out[i] = t.subarray(i * w, i * w + w);
      return out;
    }
    default:
      return c as unknown[];
  }
}
