/**
 * encodeNumbers: the msgpack items of a numbers list, byte-identical to @msgpack/msgpack's Encoder with
 * default options (smallest integer form for safe integers incl. -0 → 0, float64 otherwise, NaN as
 * 0x7ff8000000000000). Two passes: exact size, then write.
 */
import { EngineError } from '../types.js';

function numberSize(x: number): number {
  if (Number.isSafeInteger(x)) {
    if (x >= 0) return x < 0x80 ? 1 : x < 0x100 ? 2 : x < 0x10000 ? 3 : x < 0x100000000 ? 5 : 9;
    return x >= -0x20 ? 1 : x >= -0x80 ? 2 : x >= -0x8000 ? 3 : x >= -0x80000000 ? 5 : 9;
  }
  return 9;
}

function arrayHeaderSize(n: number): number {
  return n < 16 ? 1 : n < 0x10000 ? 3 : 5;
}

/** Writes one number at `pos`; returns the new position. */
function writeNumber(view: DataView, bytes: Uint8Array, pos: number, x: number): number {
  if (Number.isSafeInteger(x)) {
    if (x >= 0) {
      if (x < 0x80) {
        bytes[pos] = x;
        return pos + 1;
      }
      if (x < 0x100) {
        bytes[pos] = 0xcc;
        bytes[pos + 1] = x;
        return pos + 2;
      }
      if (x < 0x10000) {
        bytes[pos] = 0xcd;
        view.setUint16(pos + 1, x);
        return pos + 3;
      }
      if (x < 0x100000000) {
        bytes[pos] = 0xce;
        view.setUint32(pos + 1, x);
        return pos + 5;
      }
      bytes[pos] = 0xcf;
      view.setUint32(pos + 1, x / 0x100000000);
      view.setUint32(pos + 5, x);
      return pos + 9;
    }
    if (x >= -0x20) {
      bytes[pos] = 0xe0 | (x + 0x20);
      return pos + 1;
    }
    if (x >= -0x80) {
      bytes[pos] = 0xd0;
      view.setInt8(pos + 1, x);
      return pos + 2;
    }
    if (x >= -0x8000) {
      bytes[pos] = 0xd1;
      view.setInt16(pos + 1, x);
      return pos + 3;
    }
    if (x >= -0x80000000) {
      bytes[pos] = 0xd2;
      view.setInt32(pos + 1, x);
      return pos + 5;
    }
    bytes[pos] = 0xd3;
    view.setUint32(pos + 1, Math.floor(x / 0x100000000));
    view.setUint32(pos + 5, x);
    return pos + 9;
  }
  bytes[pos] = 0xcb;
  if (x !== x) {
    view.setUint32(pos + 1, 0x7ff80000);
    view.setUint32(pos + 5, 0);
  } else {
    view.setFloat64(pos + 1, x);
  }
  return pos + 9;
}

function writeArrayHeader(view: DataView, bytes: Uint8Array, pos: number, n: number): number {
  if (n < 16) {
    bytes[pos] = 0x90 + n;
    return pos + 1;
  }
  if (n < 0x10000) {
    bytes[pos] = 0xdc;
    view.setUint16(pos + 1, n);
    return pos + 3;
  }
  bytes[pos] = 0xdd;
  view.setUint32(pos + 1, n);
  return pos + 5;
}

export function encodeNumbers(values: Float64Array, width: number): Uint8Array {
  if (!Number.isSafeInteger(width) || width < 0 || width > 0xffffffff) {
    throw new EngineError('EINVAL', `encodeNumbers: width must be an integer in [0, 2^32), got ${width}`);
  }
  if (width > 0 && values.length % width !== 0) {
    throw new EngineError('EINVAL', `encodeNumbers: ${values.length} values do not split into items of width ${width}`);
  }
  const n = values.length;
  let size = width > 0 ? (n / width) * arrayHeaderSize(width) : 0;
  for (let i = 0; i < n; i++) size += numberSize(values[i]!);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  let pos = 0;
  if (width === 0) {
    for (let i = 0; i < n; i++) pos = writeNumber(view, bytes, pos, values[i]!);
  } else {
    for (let i = 0; i < n; i += width) {
      pos = writeArrayHeader(view, bytes, pos, width);
      for (let j = i; j < i + width; j++) pos = writeNumber(view, bytes, pos, values[j]!);
    }
  }
  return bytes;
}
