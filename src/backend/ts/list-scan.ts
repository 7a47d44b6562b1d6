/**
 * scanList: a small msgpack framing walker that classifies a list (docs/engine.md, "Lists") without
 * decoding it: numbers → packed Float64Array, tensors → dtype/offset/byteLength tables, else mixed.
 * Malformed or truncated input → EngineError EBADMSGPACK naming the offset. Ext-1 payloads are checked
 * while the list still looks like tensors (as the native twin does); in a mixed list they are only
 * framed, and the decoder rejects malformed ones.
 *
 * Hand-written on purpose, an exception to "prefer kept libraries": @msgpack/msgpack's Decoder returns
 * values, never byte offsets, while scanList must report where each typed array's raw data sits (for
 * zero-copy views) and where the list ends. The native twin walks the same framing with rmp::decode.
 */
import type { ListScan } from '../types.js';
import { EngineError } from '../types.js';

/** Element size per dtype code (index = code); 0 = unknown code. */
export const DTYPE_SIZE = [0, 1, 1, 1, 2, 2, 4, 4, 4, 8, 8, 8] as const;

function bad(pos: number, what: string): never {
  throw new EngineError('EBADMSGPACK', `malformed MessagePack at offset ${pos}: ${what}`);
}

class Walker {
  readonly view: DataView;
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    pos: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = pos;
  }

  need(n: number, at: number): void {
    if (this.pos + n > this.bytes.length) {
      bad(at, `truncated: needs ${this.pos + n - at} bytes, ${this.bytes.length - at} left`);
    }
  }

  /** Length of an array header at pos (advancing past it), or -1 (not advancing) when it is no array. */
  arrayHeader(): number {
    const at = this.pos;
    this.need(1, at);
    const b = this.bytes[at]!;
    if (b >= 0x90 && b <= 0x9f) {
      this.pos += 1;
      return b - 0x90;
    }
    if (b === 0xdc) {
      this.need(3, at);
      this.pos += 3;
      return this.view.getUint16(at + 1);
    }
    if (b === 0xdd) {
      this.need(5, at);
      this.pos += 5;
      return this.view.getUint32(at + 1);
    }
    return -1;
  }

  /** The number at pos (advancing past it), or undefined (not advancing) when it is no number. */
  number(): number | undefined {
    const at = this.pos;
    this.need(1, at);
    const b = this.bytes[at]!;
    if (b < 0x80) {
      this.pos += 1;
      return b;
    }
    if (b >= 0xe0) {
      this.pos += 1;
      return b - 0x100;
    }
    const v = this.view;
    switch (b) {
      case 0xcc:
        this.need(2, at);
        this.pos += 2;
        return this.bytes[at + 1]!;
      case 0xcd:
        this.need(3, at);
        this.pos += 3;
        return v.getUint16(at + 1);
      case 0xce:
        this.need(5, at);
        this.pos += 5;
        return v.getUint32(at + 1);
      case 0xcf:
        this.need(9, at);
        this.pos += 9;
        return v.getUint32(at + 1) * 0x100000000 + v.getUint32(at + 5);
      case 0xd0:
        this.need(2, at);
        this.pos += 2;
        return v.getInt8(at + 1);
      case 0xd1:
        this.need(3, at);
        this.pos += 3;
        return v.getInt16(at + 1);
      case 0xd2:
        this.need(5, at);
        this.pos += 5;
        return v.getInt32(at + 1);
      case 0xd3:
        this.need(9, at);
        this.pos += 9;
        return v.getInt32(at + 1) * 0x100000000 + v.getUint32(at + 5);
      case 0xca:
        this.need(5, at);
        this.pos += 5;
        return v.getFloat32(at + 1);
      case 0xcb:
        this.need(9, at);
        this.pos += 9;
        return v.getFloat64(at + 1);
      default:
        return undefined;
    }
  }

  /** Ext header at pos: type, payload start and length (advancing past the payload), or undefined (not advancing). */
  ext(): { type: number; start: number; length: number } | undefined {
    const at = this.pos;
    this.need(1, at);
    const b = this.bytes[at]!;
    let length: number;
    let head: number;
    switch (b) {
      case 0xd4:
        [length, head] = [1, 1];
        break;
      case 0xd5:
        [length, head] = [2, 1];
        break;
      case 0xd6:
        [length, head] = [4, 1];
        break;
      case 0xd7:
        [length, head] = [8, 1];
        break;
      case 0xd8:
        [length, head] = [16, 1];
        break;
      case 0xc7:
        this.need(2, at);
        [length, head] = [this.bytes[at + 1]!, 2];
        break;
      case 0xc8:
        this.need(3, at);
        [length, head] = [this.view.getUint16(at + 1), 3];
        break;
      case 0xc9:
        this.need(5, at);
        [length, head] = [this.view.getUint32(at + 1), 5];
        break;
      default:
        return undefined;
    }
    this.need(head + 1 + length, at);
    const type = this.view.getInt8(at + head);
    const start = at + head + 1;
    this.pos = start + length;
    return { type, start, length };
  }

  /** Skips one complete value of any kind (iteratively; nesting depth costs no stack). */
  skip(): void {
    let pending = 1;
    const bytes = this.bytes;
    while (pending > 0) {
      pending--;
      const at = this.pos;
      this.need(1, at);
      const b = bytes[at]!;
      if (b < 0x80 || b >= 0xe0 || (b >= 0xc0 && b <= 0xc3 && b !== 0xc1)) {
        this.pos += 1;
        continue;
      }
      if (b >= 0x80 && b <= 0x8f) {
        this.pos += 1;
        pending += 2 * (b - 0x80);
      } else if (b >= 0x90 && b <= 0x9f) {
        this.pos += 1;
        pending += b - 0x90;
      } else if (b >= 0xa0 && b <= 0xbf) {
        this.need(1 + (b - 0xa0), at);
        this.pos += 1 + (b - 0xa0);
      } else if (this.number() !== undefined || this.ext() !== undefined) {
        // numbers and ext values advance by themselves
      } else {
        const v = this.view;
        switch (b) {
          case 0xc4:
          case 0xd9:
            this.need(2, at);
            this.need(2 + bytes[at + 1]!, at);
            this.pos += 2 + bytes[at + 1]!;
            break;
          case 0xc5:
          case 0xda:
            this.need(3, at);
            this.need(3 + v.getUint16(at + 1), at);
            this.pos += 3 + v.getUint16(at + 1);
            break;
          case 0xc6:
          case 0xdb:
            this.need(5, at);
            this.need(5 + v.getUint32(at + 1), at);
            this.pos += 5 + v.getUint32(at + 1);
            break;
          case 0xdc:
            this.need(3, at);
            pending += v.getUint16(at + 1);
            this.pos += 3;
            break;
          case 0xdd:
            this.need(5, at);
            pending += v.getUint32(at + 1);
            this.pos += 5;
            break;
          case 0xde:
            this.need(3, at);
            pending += 2 * v.getUint16(at + 1);
            this.pos += 3;
            break;
          case 0xdf:
            this.need(5, at);
            pending += 2 * v.getUint32(at + 1);
            this.pos += 5;
            break;
          default: // 0xc1, never used
            bad(at, `invalid type byte 0x${b.toString(16)}`);
        }
      }
      // Every pending value needs at least one byte.
      if (pending > bytes.length - this.pos) {
        bad(at, `truncated: ${pending} more values announced, ${bytes.length - this.pos} bytes left`);
      }
    }
  }
}

/** Checks an ext-1 payload; returns dtype and the raw data's offset and length within `bytes`. */
export function tensorPayload(bytes: Uint8Array, start: number, length: number, at: number) {
  if (length < 2) bad(at, `typed-array payload of ${length} bytes is shorter than its 2-byte header`);
  const dtype = bytes[start]!;
  const pad = bytes[start + 1]!;
  const size = dtype < DTYPE_SIZE.length ? DTYPE_SIZE[dtype]! : 0;
  if (size === 0) bad(at, `unknown typed-array dtype ${dtype}`);
  if (2 + pad > length) bad(at, `typed-array pad ${pad} exceeds its payload of ${length} bytes`);
  const byteLength = length - 2 - pad;
  if (byteLength % size !== 0)
    bad(at, `typed-array data of ${byteLength} bytes is not a multiple of ${size} (dtype ${dtype})`);
  return { dtype, offset: start + 2 + pad, byteLength };
}

/** The offset just past the complete msgpack value at `offset`. */
export function skipValue(bytes: Uint8Array, offset: number): number {
  checkOffset(bytes, offset);
  const w = new Walker(bytes, offset);
  w.skip();
  return w.pos;
}

function checkOffset(bytes: Uint8Array, offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > bytes.length) {
    bad(offset, `offset outside the ${bytes.length} bytes given`);
  }
}

export function scanList(bytes: Uint8Array, offset: number): ListScan {
  checkOffset(bytes, offset);
  const w = new Walker(bytes, offset);
  const count = w.arrayHeader();
  if (count < 0) bad(offset, `expected an array, found type byte 0x${bytes[offset]!.toString(16)}`);
  if (count > bytes.length - w.pos)
    bad(offset, `truncated: ${count} items announced, ${bytes.length - w.pos} bytes left`);
  if (count === 0) return { kind: 'numbers', count: 0, width: 0, values: new Float64Array(0), end: w.pos };

  let from = 0; // first item not classified by a fast path
  const first = w.pos;
  const b = bytes[first]!;
  if (w.number() !== undefined) {
    w.pos = first;
    const values = new Float64Array(count);
    for (; from < count; from++) {
      const x = w.number();
      if (x === undefined) break;
      values[from] = x;
    }
    if (from === count) return { kind: 'numbers', count, width: 0, values, end: w.pos };
  } else if ((b >= 0x90 && b <= 0x9f) || b === 0xdc || b === 0xdd) {
    const width = w.arrayHeader();
    w.pos = first;
    if (width > 0 && count * width <= bytes.length - first) {
      const values = new Float64Array(count * width);
      let k = 0;
      items: for (; from < count; from++) {
        const start = w.pos;
        if (w.arrayHeader() !== width) {
          w.pos = start;
          break;
        }
        for (let j = 0; j < width; j++) {
          const x = w.number();
          if (x === undefined) {
            w.pos = start;
            break items;
          }
          values[k++] = x;
        }
      }
      if (from === count) return { kind: 'numbers', count, width, values, end: w.pos };
    }
  } else if (b === 0xc7 || b === 0xc8 || b === 0xc9 || (b >= 0xd4 && b <= 0xd8)) {
    const dtypes = new Uint8Array(count);
    const offsets = new Float64Array(count);
    const byteLengths = new Float64Array(count);
    for (; from < count; from++) {
      const start = w.pos;
      const e = w.ext();
      if (e === undefined || e.type !== 1) {
        w.pos = start;
        break;
      }
      const t = tensorPayload(bytes, e.start, e.length, start);
      dtypes[from] = t.dtype;
      offsets[from] = t.offset;
      byteLengths[from] = t.byteLength;
    }
    if (from === count) return { kind: 'tensors', count, dtypes, offsets, byteLengths, end: w.pos };
  }
  for (; from < count; from++) w.skip();
  return { kind: 'mixed', count, end: w.pos };
}
