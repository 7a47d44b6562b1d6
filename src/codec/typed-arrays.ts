/** The typed-array dtype codes of docs/engine.md and helpers to build arrays from raw bytes. */

export type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

export type TypedArrayCtor = {
  new (length: number): TypedArray;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
};

/** Constructors by dtype code (index); index 0 unused. */
export const DTYPE_CTORS: readonly (TypedArrayCtor | undefined)[] = [
  undefined,
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
];

/** The dtype code of a typed array (Node Buffers count as Uint8Array), or 0 for anything else. */
export function dtypeOf(value: unknown): number {
  if (typeof value !== 'object' || value === null || !ArrayBuffer.isView(value)) return 0;
  // instanceof checks, most specific first (Buffer extends Uint8Array).
  if (value instanceof Uint8Array) return 2;
  if (value instanceof Float32Array) return 8;
  if (value instanceof Float64Array) return 9;
  if (value instanceof Int32Array) return 6;
  if (value instanceof Int8Array) return 1;
  if (value instanceof Uint8ClampedArray) return 3;
  if (value instanceof Int16Array) return 4;
  if (value instanceof Uint16Array) return 5;
  if (value instanceof Uint32Array) return 7;
  if (value instanceof BigInt64Array) return 10;
  if (value instanceof BigUint64Array) return 11;
  return 0;
}

/** The bytes of a view, zero-copy. */
export function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/**
 * A typed array of `dtype` over `bytes[offset, offset + byteLength)`: a zero-copy view when the data is
 * aligned for its element size (and the element count fits), else a copy.
 */
export function typedArrayAt(bytes: Uint8Array, dtype: number, offset: number, byteLength: number): TypedArray {
  const Ctor = DTYPE_CTORS[dtype];
  if (!Ctor) throw new RangeError(`unknown typed-array dtype ${dtype}`);
  const size = Ctor.BYTES_PER_ELEMENT;
  const length = byteLength / size;
  const abs = bytes.byteOffset + offset;
  if (abs % size === 0) return new Ctor(bytes.buffer, abs, length);
  const out = new Ctor(length);
  new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + byteLength));
  return out;
}
