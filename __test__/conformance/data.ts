/**
 * Readers of the conformance data (conformance/README.md): the notations of numbers, byte inputs,
 * values and directory trees, shared by the conformance spec and scripts/conformance-generate.ts.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DTYPE_CTORS, type TypedArrayCtor } from '../../src/codec/typed-arrays.js';

/** The repository's conformance/ directory. */
export const CONFORMANCE = fileURLToPath(new URL('../../conformance/', import.meta.url));

export function readJson<T = unknown>(rel: string): T {
  return JSON.parse(readFileSync(join(CONFORMANCE, rel), 'utf8')) as T;
}

export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

/**
 * A number of the vectors: a JSON number when it is an integer of magnitude at most 2^53 (and not -0),
 * else a string: the shortest decimal that reads back as the same double, `NaN`, `Infinity`,
 * `-Infinity`, `-0`, or `bits:<16 hex>` for an exact bit pattern (NaN payloads).
 */
export type NumberNote = number | string;

export function noteNumber(x: number): NumberNote {
  if (Number.isInteger(x) && Math.abs(x) <= 2 ** 53 && !Object.is(x, -0)) return x;
  if (Number.isNaN(x)) {
    const bits = new DataView(new Float64Array([x]).buffer).getBigUint64(0, true);
    return bits === 0x7ff8000000000000n ? 'NaN' : `bits:${bits.toString(16).padStart(16, '0')}`;
  }
  return Object.is(x, -0) ? '-0' : String(x);
}

export function readNumber(n: NumberNote): number {
  if (typeof n === 'number') return n;
  if (n.startsWith('bits:')) {
    const v = new DataView(new ArrayBuffer(8));
    v.setBigUint64(0, BigInt(`0x${n.slice(5)}`), true);
    return v.getFloat64(0, true);
  }
  const x = Number(n);
  if (Number.isNaN(x) && n !== 'NaN') throw new Error(`not a number of the conformance notation: ${JSON.stringify(n)}`);
  return x;
}

/** Bytes of a vector: `{hex}`, `{utf8}`, or `{affine: {mul, add, mod, length}}` (byte i = (i·mul + add) mod mod). */
export type BytesNote =
  | { hex: string }
  | { utf8: string }
  | { affine: { mul: number; add: number; mod: number; length: number } };

export function readBytes(b: BytesNote): Uint8Array {
  if ('hex' in b) return unhex(b.hex);
  if ('utf8' in b) return new Uint8Array(Buffer.from(b.utf8, 'utf8'));
  const { mul, add, mod, length } = b.affine;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Number((BigInt(i) * BigInt(mul) + BigInt(add)) % BigInt(mod));
  return out;
}

/** The typed-array constructors by name, from the codec's dtype table. */
const TYPED: Record<string, TypedArrayCtor> = Object.fromEntries(
  DTYPE_CTORS.filter((c): c is TypedArrayCtor => c !== undefined).map((c) => [c.name, c]),
);

/**
 * A decoded value in JSON: null, booleans, strings, arrays and plain objects as themselves; a number
 * as itself when finite and not -0, else `{"$number": NumberNote}`; `{"$bigint": "<decimal>"}`;
 * `{"$date": <ms>}`; `{"$typed": "<Float32Array …>", "values": [NumberNote | "<decimal bigint>"]}`.
 * Object keys starting with `$` are reserved for these forms.
 */
export function noteValue(v: unknown): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0) ? v : { $number: noteNumber(v) };
  if (typeof v === 'bigint') return { $bigint: v.toString() };
  if (v instanceof Date) return { $date: v.getTime() };
  if (ArrayBuffer.isView(v)) {
    const name = v.constructor.name;
    if (!(name in TYPED)) throw new Error(`no notation for ${name}`);
    const items = Array.from(v as unknown as ArrayLike<number | bigint>);
    return { $typed: name, values: items.map((x) => (typeof x === 'bigint' ? x.toString() : noteNumber(x))) };
  }
  if (Array.isArray(v)) return v.map(noteValue);
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (k.startsWith('$')) throw new Error(`key ${k} is reserved by the notation`);
      out[k] = noteValue(x);
    }
    return out;
  }
  throw new Error(`no notation for ${typeof v}`);
}

export function readValue(j: unknown): unknown {
  if (j === null || typeof j !== 'object') return j;
  if (Array.isArray(j)) return j.map(readValue);
  const o = j as Record<string, unknown>;
  if ('$number' in o) return readNumber(o.$number as NumberNote);
  if ('$bigint' in o) return BigInt(o.$bigint as string);
  if ('$date' in o) return new Date(o.$date as number);
  if ('$typed' in o) {
    const name = o.$typed as string;
    const values = o.values as (NumberNote | string)[];
    const ctor = TYPED[name];
    if (!ctor) throw new Error(`no typed array named ${name}`);
    const big = name === 'BigInt64Array' || name === 'BigUint64Array';
    const out = new ctor(values.length) as unknown as { [i: number]: number | bigint };
    values.forEach((x, i) => {
      out[i] = big ? BigInt(x as string) : readNumber(x);
    });
    return out;
  }
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, readValue(x)]));
}

/**
 * A directory tree: relative path → file contents (a UTF-8 string, or `{hex}`), `{symlink: target}`
 * or `{dir: true}` (an empty directory). Parents are created as needed.
 */
export type TreeNote = Record<string, string | { hex: string } | { symlink: string } | { dir: true }>;

export function writeTree(root: string, tree: TreeNote): void {
  mkdirSync(root, { recursive: true });
  for (const [rel, entry] of Object.entries(tree)) {
    const abs = join(root, ...rel.split('/'));
    mkdirSync(dirname(abs), { recursive: true });
    if (typeof entry === 'string') writeFileSync(abs, entry);
    else if ('hex' in entry) writeFileSync(abs, unhex(entry.hex));
    else if ('symlink' in entry) symlinkSync(entry.symlink, abs);
    else mkdirSync(abs, { recursive: true });
  }
}

/** `message` with every occurrence of `dir` replaced by `<dir>` (messages name paths). */
export function placeDir(message: string, dir: string): string {
  return message.split(dir).join('<dir>');
}
