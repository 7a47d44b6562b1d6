/**
 * Generic values <-> MessagePack, through @msgpack/msgpack with the extension types of docs/engine.md
 * (1: typed array, 2: BigInt).
 */
import { Encoder, ExtensionCodec } from '@msgpack/msgpack';
import { decodeMsgpack } from './decode.js';
import { bytesOf, dtypeOf, typedArrayAt } from './typed-arrays.js';

/** A value that cannot be written, with where it sits inside the item (e.g. `[3].obs.fn`). */
export class SerializationError extends Error {
  /** What was found, without where (e.g. "cannot write a function (fn)"). */
  readonly reason: string;

  constructor(
    message: string,
    /** Path inside the value, `''` for the value itself. */
    readonly at: string,
    reason?: string,
  ) {
    super(message);
    this.name = 'SerializationError';
    this.reason = reason ?? message;
  }

  /** A located error: "<reason> at <path>". */
  static at(reason: string, at: string): SerializationError {
    return new SerializationError(`${reason} at ${at || 'the value itself'}`, at, reason);
  }

  /** The list index the path starts with (`[3].obs` → 3), when it starts with one. */
  get index(): number | undefined {
    const m = /^\[(\d+)\]/.exec(this.at);
    return m ? Number(m[1]) : undefined;
  }

  /** The same error, located under `prefix` (e.g. `[3]`). */
  under(prefix: string): SerializationError {
    return SerializationError.at(this.reason, prefix + this.at);
  }
}

export const EXT_TYPED_ARRAY = 1;
export const EXT_BIGINT = 2;
/** @msgpack/msgpack's default nesting limit; values nested deeper cannot be written. */
export const MAX_DEPTH = 100;

/** Thrown from inside the extension encoder for objects msgpack would silently turn into `{}`. */
class Unsupported extends Error {}

/**
 * What an object is when it cannot be written, or when it would not read back as the same value:
 * Maps, Sets, ArrayBuffers, Promises (refused since format 1); RegExps, boxed primitives, DataViews,
 * invalid Dates and instances of classes (they would read back as `{}`, a number-less object, a
 * Uint8Array, the epoch or a plain object). Plain objects (prototype Object.prototype or null),
 * arrays, typed arrays (a Node Buffer reads back as a Uint8Array) and valid Dates are written.
 */
function unsupportedKind(value: object): string | undefined {
  if (Array.isArray(value))
    return Object.getPrototypeOf(value) === Array.prototype
      ? undefined
      : `an instance of ${className(value)} (a subclass of Array; write a plain array)`;
  if (ArrayBuffer.isView(value)) return dtypeOf(value) !== 0 ? undefined : 'a DataView (write a typed array)';
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return undefined;
  if (value instanceof Date)
    return Number.isNaN(value.getTime()) ? 'an invalid Date (it would read back as another time)' : undefined;
  if (value instanceof Map) return 'a Map (convert it to an object or an array of entries)';
  if (value instanceof Set) return 'a Set (convert it to an array)';
  if (value instanceof WeakMap || value instanceof WeakSet) return 'a WeakMap/WeakSet';
  if (value instanceof ArrayBuffer) return 'an ArrayBuffer (wrap it in a Uint8Array)';
  if (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer) return 'a SharedArrayBuffer';
  if (value instanceof Promise) return 'a Promise (await it first)';
  if (value instanceof RegExp) return 'a RegExp (write its source and flags as strings)';
  if (
    value instanceof Number ||
    value instanceof String ||
    value instanceof Boolean ||
    value instanceof BigInt ||
    value instanceof Symbol
  ) {
    return 'a boxed primitive (write the primitive value)';
  }
  return `an instance of ${className(value)} (it would read back as a plain object; write its fields as one)`;
}

function className(value: object): string {
  const ctor = (value as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' && ctor.name !== '' ? ctor.name : 'a class';
}

/** Why a primitive cannot be written so that it reads back the same, or undefined when it can. */
function unsupportedPrimitive(value: unknown): string | undefined {
  if (value === undefined) return 'undefined (it would read back as null; write null or leave the key out)';
  if (typeof value === 'string' && !(value as string & { isWellFormed(): boolean }).isWellFormed()) {
    return 'a string with a lone surrogate (it is not valid Unicode and would not read back the same)';
  }
  return undefined;
}

/**
 * The bytes {@link encodeValue} writes for a typed array standing alone (ext-1, pad 0), as two
 * segments: the header, then the array's own bytes referenced (no copy).
 */
export function typedArrayValueSegments(view: ArrayBufferView): Uint8Array[] {
  const dtype = dtypeOf(view);
  if (dtype === 0) throw new TypeError('typedArrayValueSegments: not a typed array');
  return [typedArrayHeader(dtype, view.byteLength), bytesOf(view)];
}

/**
 * The bytes before the raw data of a typed-array value of `byteLength` bytes and `dtype` (ext header,
 * ext type, dtype, pad 0), as {@link typedArrayValueSegments} writes them.
 * @throws SerializationError for 4 GiB and more.
 */
export function typedArrayHeader(dtype: number, byteLength: number): Uint8Array {
  const len = 2 + byteLength;
  let head: number[];
  if (len === 2 || len === 4 || len === 8 || len === 16) head = [{ 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8 }[len]!];
  else if (len < 0x100) head = [0xc7, len];
  else if (len < 0x10000) head = [0xc8, len >>> 8, len & 0xff];
  else if (len < 0x100000000) head = [0xc9, len >>> 24, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff];
  else
    throw SerializationError.at(`cannot write a typed array of ${byteLength} bytes (msgpack ext allows < 4 GiB)`, '');
  return new Uint8Array([...head, EXT_TYPED_ARRAY, dtype, 0]);
}

/** The ext-1 payload of a typed array: dtype, pad 0, raw little-endian bytes. */
export function typedArrayPayload(dtype: number, view: ArrayBufferView): Uint8Array {
  const out = new Uint8Array(2 + view.byteLength);
  out[0] = dtype;
  out.set(bytesOf(view), 2);
  return out;
}

const asciiDecoder = new TextDecoder('ascii');
const asciiEncoder = new TextEncoder();
const BIGINT_TEXT = /^-?[0-9]+$/;

export const extensionCodec = new ExtensionCodec();
extensionCodec.register({
  type: EXT_TYPED_ARRAY,
  encode(value: unknown) {
    const dtype = dtypeOf(value);
    if (dtype !== 0) return typedArrayPayload(dtype, value as ArrayBufferView);
    if (typeof value === 'object' && value !== null) {
      const kind = unsupportedKind(value);
      if (kind) throw new Unsupported(kind);
    }
    return null;
  },
  decode(data: Uint8Array) {
    if (data.length < 2) throw new RangeError(`typed-array payload of ${data.length} bytes is too short`);
    const dtype = data[0]!;
    const pad = data[1]!;
    if (2 + pad > data.length) throw new RangeError(`typed-array pad ${pad} exceeds its payload`);
    const byteLength = data.length - 2 - pad;
    const size = elementSize(dtype);
    if (size === 0) throw new RangeError(`unknown typed-array dtype ${dtype}`);
    if (byteLength % size !== 0)
      throw new RangeError(`typed-array data of ${byteLength} bytes is not a multiple of ${size}`);
    return typedArrayAt(data, dtype, 2 + pad, byteLength);
  },
});
extensionCodec.register({
  type: EXT_BIGINT,
  encode(value: unknown) {
    return typeof value === 'bigint' ? asciiEncoder.encode(value.toString()) : null;
  },
  decode(data: Uint8Array) {
    const text = asciiDecoder.decode(data);
    if (!BIGINT_TEXT.test(text)) throw new RangeError(`BigInt payload "${text.slice(0, 40)}" is not a decimal integer`);
    return BigInt(text);
  },
});

function elementSize(dtype: number): number {
  return [0, 1, 1, 1, 2, 2, 4, 4, 4, 8, 8, 8][dtype] ?? 0;
}

/**
 * @msgpack/msgpack's Encoder, refusing every value that would not read back as itself (see
 * {@link unsupportedKind} and {@link unsupportedPrimitive}) as it meets it, so checking costs no
 * extra walk. The refusal is located afterwards by {@link findUnencodable}.
 */
class CheckingEncoder extends Encoder {
  constructor() {
    super({ extensionCodec });
    const self = this as unknown as { doEncode(value: unknown, depth: number): void };
    const doEncode = self.doEncode;
    self.doEncode = function (this: unknown, value: unknown, depth: number): void {
      const why = typeof value === 'object' && value !== null ? unsupportedKind(value) : unsupportedPrimitive(value);
      if (why !== undefined) throw new Unsupported(why);
      doEncode.call(this, value, depth);
    };
  }
}

let encoder = new CheckingEncoder();
/** The encoder keeps its internal buffer at the largest size it ever needed; start over after big values. */
const ENCODER_KEEP_BYTES = 4 << 20;

function afterEncode(length: number): void {
  if (length > ENCODER_KEEP_BYTES) encoder = new CheckingEncoder();
}

/** Renders one path step: `.key` for identifier-like keys, `["key"]` otherwise. */
function keyStep(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function describe(value: unknown): string | undefined {
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (typeof value === 'symbol') return `a symbol (${String(value)})`;
  if (typeof value === 'object' && value !== null) return unsupportedKind(value);
  return unsupportedPrimitive(value);
}

/**
 * Finds what in `value` cannot be written, mirroring the encoder's traversal: the first function,
 * symbol, unsupported object, cycle or too-deep nesting, with its path.
 */
export function findUnencodable(value: unknown): SerializationError | undefined {
  const ancestors: object[] = [];
  const paths: string[] = [];
  const visit = (v: unknown, path: string, depth: number): SerializationError | undefined => {
    if (depth > MAX_DEPTH) {
      return SerializationError.at(`cannot write a value nested deeper than ${MAX_DEPTH} levels`, path);
    }
    const kind = describe(v);
    if (kind) return SerializationError.at(`cannot write ${kind}`, path);
    if (typeof v !== 'object' || v === null || v instanceof Date || ArrayBuffer.isView(v)) return undefined;
    const seen = ancestors.indexOf(v);
    if (seen >= 0) {
      const target = paths[seen] || 'the value itself';
      return SerializationError.at(`cannot write a cycle (a reference back to ${target})`, path);
    }
    ancestors.push(v);
    paths.push(path);
    try {
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const e = visit(v[i], `${path}[${i}]`, depth + 1);
          if (e) return e;
        }
      } else {
        for (const key of Object.keys(v)) {
          const e = visit((v as Record<string, unknown>)[key], path + keyStep(key), depth + 1);
          if (e) return e;
        }
      }
      return undefined;
    } finally {
      ancestors.pop();
      paths.pop();
    }
  };
  return visit(value, '', 1);
}

/** Turns an encoder failure into a located SerializationError. */
export function encodeFailure(value: unknown, err: unknown): SerializationError {
  if (err instanceof SerializationError) return err;
  const found = findUnencodable(value);
  if (found) return found;
  const msg = err instanceof Error ? err.message : String(err);
  return SerializationError.at(`cannot write the value (${msg})`, '');
}

/** Encodes one value. Throws {@link SerializationError} for functions, symbols, cycles and the like. */
export function encodeValue(value: unknown): Uint8Array {
  let out: Uint8Array;
  try {
    out = encoder.encode(value);
  } catch (err) {
    throw encodeFailure(value, err);
  }
  afterEncode(out.length);
  return out;
}

/**
 * Encodes one value and hands the bytes to `use` at once: they live in the encoder's internal buffer and
 * are valid only during the call (saves a copy for callers that copy them anyway).
 */
export function encodeValueWith<R>(value: unknown, use: (bytes: Uint8Array) => R): R {
  let bytes: Uint8Array;
  const enc = encoder;
  try {
    bytes = enc.encodeSharedRef(value);
  } catch (err) {
    throw encodeFailure(value, err);
  }
  const result = use(bytes);
  afterEncode(bytes.length);
  return result;
}

/**
 * Decodes one value written by {@link encodeValue} (src/codec/decode.ts: bounded depth and allocation,
 * `__proto__` keys as own properties). Typed arrays are zero-copy views into `bytes` where aligned.
 * @throws EngineError EBADMSGPACK for malformed input.
 */
export function decodeValue(bytes: Uint8Array): unknown {
  return decodeMsgpack(bytes);
}
