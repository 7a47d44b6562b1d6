/**
 * The generic MessagePack decoder of the built-in files (docs/engine.md, "MessagePack item encoding"):
 * one value, with the extension types 1 (typed array), 2 (BigInt) and -1 (timestamp → Date).
 *
 * Safe on hostile bytes:
 * - nesting deeper than {@link DECODE_MAX_DEPTH} levels is refused (the encoder writes at most
 *   MAX_DEPTH levels per item, and a buffer file adds at most three around an item);
 * - a declared array, map, string, binary or extension length is checked against the bytes left
 *   before anything is allocated, and every array element or map entry takes at least one byte, so
 *   what a decode allocates is bounded by a fixed multiple of the input size;
 * - a map key `__proto__` becomes an own data property (as `JSON.parse` makes it), never the
 *   object's prototype.
 * Every failure is an EngineError `EBADMSGPACK` naming the offset.
 *
 * Hand-written (an exception to "prefer kept libraries"): @msgpack/msgpack refuses `__proto__` keys at
 * decode time and has no depth limit; msgpackr renames `__proto__` to `__proto_`.
 */
import { EngineError } from '../backend/types.js';
import { typedArrayAt } from './typed-arrays.js';

/** The deepest nesting a decode accepts (the top-level value is level 1). */
export const DECODE_MAX_DEPTH = 128;

const EXT_TYPED_ARRAY = 1;
const EXT_BIGINT = 2;
const EXT_TIMESTAMP = -1;
const ELEMENT_SIZE = [0, 1, 1, 1, 2, 2, 4, 4, 4, 8, 8, 8] as const;
const BIGINT_TEXT = /^-?[0-9]+$/;

const utf8 = new TextDecoder('utf-8');
const ascii = new TextDecoder('ascii');

class Reader {
  pos = 0;
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(at: number, what: string): never {
    throw new EngineError(
      'EBADMSGPACK',
      `malformed MessagePack value at offset ${at} of ${this.bytes.length}: ${what}`,
    );
  }

  /** Checks that `n` more bytes exist at the current position. */
  need(n: number, at: number): void {
    if (n > this.bytes.length - this.pos)
      this.fail(at, `truncated: needs ${n} more bytes, ${this.bytes.length - this.pos} left`);
  }

  u8(at: number): number {
    this.need(1, at);
    return this.bytes[this.pos++]!;
  }
  u16(at: number): number {
    this.need(2, at);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }
  u32(at: number): number {
    this.need(4, at);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  value(depth: number): unknown {
    const at = this.pos;
    const b = this.u8(at);
    if (b < 0x80) return b;
    if (b >= 0xe0) return b - 0x100;
    if (b >= 0xa0 && b <= 0xbf) return this.str(b - 0xa0, at);
    if (b >= 0x90 && b <= 0x9f) return this.array(b - 0x90, depth, at);
    if (b >= 0x80 && b <= 0x8f) return this.map(b - 0x80, depth, at);
    const v = this.view;
    switch (b) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xcc:
        return this.u8(at);
      case 0xcd:
        return this.u16(at);
      case 0xce:
        return this.u32(at);
      case 0xcf: {
        this.need(8, at);
        const x = v.getUint32(this.pos) * 0x100000000 + v.getUint32(this.pos + 4);
        this.pos += 8;
        return x;
      }
      case 0xd0: {
        this.need(1, at);
        return v.getInt8(this.pos++);
      }
      case 0xd1: {
        this.need(2, at);
        const x = v.getInt16(this.pos);
        this.pos += 2;
        return x;
      }
      case 0xd2: {
        this.need(4, at);
        const x = v.getInt32(this.pos);
        this.pos += 4;
        return x;
      }
      case 0xd3: {
        this.need(8, at);
        const x = v.getInt32(this.pos) * 0x100000000 + v.getUint32(this.pos + 4);
        this.pos += 8;
        return x;
      }
      case 0xca: {
        this.need(4, at);
        const x = v.getFloat32(this.pos);
        this.pos += 4;
        return x;
      }
      case 0xcb: {
        this.need(8, at);
        const x = v.getFloat64(this.pos);
        this.pos += 8;
        return x;
      }
      case 0xd9:
        return this.str(this.u8(at), at);
      case 0xda:
        return this.str(this.u16(at), at);
      case 0xdb:
        return this.str(this.u32(at), at);
      case 0xc4:
        return this.bin(this.u8(at), at);
      case 0xc5:
        return this.bin(this.u16(at), at);
      case 0xc6:
        return this.bin(this.u32(at), at);
      case 0xdc:
        return this.array(this.u16(at), depth, at);
      case 0xdd:
        return this.array(this.u32(at), depth, at);
      case 0xde:
        return this.map(this.u16(at), depth, at);
      case 0xdf:
        return this.map(this.u32(at), depth, at);
      case 0xd4:
        return this.ext(1, at);
      case 0xd5:
        return this.ext(2, at);
      case 0xd6:
        return this.ext(4, at);
      case 0xd7:
        return this.ext(8, at);
      case 0xd8:
        return this.ext(16, at);
      case 0xc7:
        return this.ext(this.u8(at), at);
      case 0xc8:
        return this.ext(this.u16(at), at);
      case 0xc9:
        return this.ext(this.u32(at), at);
      default:
        return this.fail(at, `invalid type byte 0x${b.toString(16)}`);
    }
  }

  str(length: number, at: number): string {
    this.need(length, at);
    const start = this.pos;
    this.pos += length;
    return length <= 32 ? shortUtf8(this.bytes, start, this.pos) : utf8.decode(this.bytes.subarray(start, this.pos));
  }

  bin(length: number, at: number): Uint8Array {
    this.need(length, at);
    const out = this.bytes.slice(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  array(length: number, depth: number, at: number): unknown[] {
    if (depth >= DECODE_MAX_DEPTH) this.fail(at, `nested deeper than ${DECODE_MAX_DEPTH} levels`);
    if (length > this.bytes.length - this.pos)
      this.fail(at, `${length} array elements announced, ${this.bytes.length - this.pos} bytes left`);
    const out = new Array<unknown>(length);
    for (let i = 0; i < length; i++) out[i] = this.value(depth + 1);
    return out;
  }

  map(length: number, depth: number, at: number): Record<string, unknown> {
    if (depth >= DECODE_MAX_DEPTH) this.fail(at, `nested deeper than ${DECODE_MAX_DEPTH} levels`);
    if (length * 2 > this.bytes.length - this.pos)
      this.fail(at, `${length} map entries announced, ${this.bytes.length - this.pos} bytes left`);
    const out: Record<string, unknown> = {};
    for (let i = 0; i < length; i++) {
      const keyAt = this.pos;
      const key = this.value(depth + 1);
      if (typeof key !== 'string' && typeof key !== 'number')
        this.fail(keyAt, `a map key must be a string or a number, got ${key === null ? 'nil' : typeof key}`);
      const value = this.value(depth + 1);
      if (key === '__proto__') {
        Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      } else {
        out[key] = value;
      }
    }
    return out;
  }

  ext(length: number, at: number): unknown {
    this.need(1 + length, at);
    const type = this.view.getInt8(this.pos);
    const start = this.pos + 1;
    this.pos = start + length;
    const data = this.bytes.subarray(start, this.pos);
    switch (type) {
      case EXT_TYPED_ARRAY: {
        if (length < 2) this.fail(at, `typed-array payload of ${length} bytes is shorter than its 2-byte header`);
        const dtype = data[0]!;
        const pad = data[1]!;
        const size = dtype < ELEMENT_SIZE.length ? ELEMENT_SIZE[dtype]! : 0;
        if (size === 0) this.fail(at, `unknown typed-array dtype ${dtype}`);
        if (2 + pad > length) this.fail(at, `typed-array pad ${pad} exceeds its payload of ${length} bytes`);
        const byteLength = length - 2 - pad;
        if (byteLength % size !== 0)
          this.fail(at, `typed-array data of ${byteLength} bytes is not a multiple of ${size}`);
        return typedArrayAt(this.bytes, dtype, start + 2 + pad, byteLength);
      }
      case EXT_BIGINT: {
        const text = ascii.decode(data);
        if (!BIGINT_TEXT.test(text)) this.fail(at, `BigInt payload "${text.slice(0, 40)}" is not a decimal integer`);
        return BigInt(text);
      }
      case EXT_TIMESTAMP:
        return this.timestamp(data, at);
      default:
        return this.fail(at, `unknown extension type ${type}`);
    }
  }

  /** The MessagePack timestamp extension (32, 64 or 96 bit) as a Date. */
  timestamp(data: Uint8Array, at: number): Date {
    const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
    let sec: number;
    let nsec: number;
    if (data.length === 4) {
      sec = v.getUint32(0);
      nsec = 0;
    } else if (data.length === 8) {
      const hi = v.getUint32(0);
      nsec = hi >>> 2;
      sec = (hi & 0x3) * 0x100000000 + v.getUint32(4);
    } else if (data.length === 12) {
      nsec = v.getUint32(0);
      sec = v.getInt32(4) * 0x100000000 + v.getUint32(8);
    } else {
      return this.fail(at, `timestamp payload of ${data.length} bytes (expected 4, 8 or 12)`);
    }
    if (nsec >= 1e9) this.fail(at, `timestamp nanoseconds ${nsec} out of range`);
    return new Date(sec * 1000 + nsec / 1e6);
  }
}

/**
 * UTF-8 of a short string decoded in JavaScript. Like @msgpack/msgpack (which wrote format-1 files),
 * a 3-byte sequence encoding a lone surrogate decodes to that code unit, so such strings written
 * by format 1 read back as they were; other invalid bytes become U+FFFD.
 */
function shortUtf8(bytes: Uint8Array, start: number, end: number): string {
  let out = '';
  let i = start;
  while (i < end) {
    const b = bytes[i++]!;
    if (b < 0x80) {
      out += String.fromCharCode(b);
    } else if ((b & 0xe0) === 0xc0 && i < end) {
      out += String.fromCharCode(((b & 0x1f) << 6) | (bytes[i++]! & 0x3f));
    } else if ((b & 0xf0) === 0xe0 && i + 1 < end) {
      out += String.fromCharCode(((b & 0x0f) << 12) | ((bytes[i]! & 0x3f) << 6) | (bytes[i + 1]! & 0x3f));
      i += 2;
    } else if ((b & 0xf8) === 0xf0 && i + 2 < end) {
      const cp =
        ((b & 0x07) << 18) | ((bytes[i]! & 0x3f) << 12) | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f);
      i += 3;
      out += String.fromCodePoint(cp <= 0x10ffff ? cp : 0xfffd);
    } else {
      out += '\ufffd';
    }
  }
  return out;
}

/**
 * Decodes the one MessagePack value that `bytes` holds (nothing may follow it).
 * @throws EngineError `EBADMSGPACK` for malformed, truncated, too deeply nested or trailing bytes.
 */
export function decodeMsgpack(bytes: Uint8Array): unknown {
  const r = new Reader(bytes);
  const value = r.value(0);
  if (r.pos !== bytes.length) r.fail(r.pos, `${bytes.length - r.pos} extra bytes after the value`);
  return value;
}

/** Decodes the value at `offset` and returns it with the offset just past it. */
export function decodeMsgpackAt(bytes: Uint8Array, offset: number): { value: unknown; end: number } {
  const r = new Reader(bytes);
  r.pos = offset;
  const value = r.value(0);
  return { value, end: r.pos };
}
