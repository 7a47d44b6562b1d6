/**
 * encodeNumbers: the msgpack items of a numbers list, written by @msgpack/msgpack's `Encoder` with
 * default options — the reference the native engine reproduces (smallest integer form for safe
 * integers incl. -0 → 0, float64 otherwise). Every NaN is handed to the encoder as the canonical NaN,
 * so it is written as 0x7ff8000000000000 whatever its payload (docs/engine.md).
 *
 * The values are encoded in chunks, each as one array of items (numbers, or rows of `width` numbers)
 * with a single reusable encoder; the chunk's array header is dropped and the items' bytes copied out.
 * Chunking keeps the encoder's internal buffer small however long the list is.
 */
import { Encoder } from '@msgpack/msgpack';
import { EngineError } from '../types.js';

/** About this many values per chunk (whole items; at least one item). */
const CHUNK_VALUES = 1 << 15;

const encoder = new Encoder();

/** `values[start, end)` as a plain array (what the encoder writes as a msgpack array), NaN canonical. */
function numbers(values: Float64Array, start: number, end: number): number[] {
  const out = new Array<number>(end - start);
  for (let i = start; i < end; i++) {
    const x = values[i]!;
    out[i - start] = Number.isNaN(x) ? NaN : x;
  }
  return out;
}

/**
 * The items of `items` as @msgpack/msgpack encodes them inside an array, copied out of the encoder's
 * buffer: everything after the array header (fixarray, array16 0xdc or array32 0xdd).
 */
function encodeItems(items: unknown[]): Uint8Array {
  const bytes = encoder.encodeSharedRef(items);
  const header = bytes[0] === 0xdc ? 3 : bytes[0] === 0xdd ? 5 : 1;
  return bytes.slice(header);
}

export function encodeNumbers(values: Float64Array, width: number): Uint8Array {
  if (!Number.isSafeInteger(width) || width < 0 || width > 0xffffffff) {
    throw new EngineError('EINVAL', `encodeNumbers: width must be an integer in [0, 2^32), got ${width}`);
  }
  if (width > 0 && values.length % width !== 0) {
    throw new EngineError('EINVAL', `encodeNumbers: ${values.length} values do not split into items of width ${width}`);
  }
  const n = values.length;
  const parts: Uint8Array[] = [];
  if (width === 0) {
    for (let i = 0; i < n; i += CHUNK_VALUES)
      parts.push(encodeItems(numbers(values, i, Math.min(n, i + CHUNK_VALUES))));
  } else {
    const step = Math.max(1, Math.floor(CHUNK_VALUES / width)) * width;
    for (let i = 0; i < n; i += step) {
      const end = Math.min(n, i + step);
      const rows: number[][] = [];
      for (let j = i; j < end; j += width) rows.push(numbers(values, j, j + width));
      parts.push(encodeItems(rows));
    }
  }
  if (parts.length === 1) return parts[0]!;
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}
