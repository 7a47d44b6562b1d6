/**
 * The columns of a ring of number records, kept as the items are added: when a buffer's items are
 * plain objects whose fields are all numbers (`{obs, action, reward, value}`), each field is also
 * written into a Float64Array per ring chunk. A save then copies these columns instead of reading a
 * million objects (the record batch of docs/engine.md is columns already), so the save's JavaScript
 * work no longer grows with the number of objects.
 *
 * What is mirrored is exactly what the save's own gather would read (codec/records.ts): a plain object
 * (prototype Object.prototype) with the same own enumerable keys in the same order as the first
 * mirrored item, every field a number. The first item that does not fit turns the mirror off (until
 * the ring's content is replaced); items are immutable by contract, so values taken at add time are
 * the values at save time. Cost: one Float64Array element per field per slot (8 bytes), a few tens of
 * nanoseconds per add.
 *
 * Rows of numbers (`[step, reward, x, y]`: arrays of one length, 1–MIRROR_MAX_KEYS numbers, the list
 * path's "number rows") are mirrored the same way, as one row-major Float64Array per chunk.
 *
 * A chunk is mirrored from its slot 0 up to `upTo` (slots are written in order, appended or
 * overwritten); slots at or past `upTo` (items put there by a replace, before the mirror saw them) are
 * read from the items by the save, as before.
 */

import type { NumberColumns, NumberRows } from '../codec/records.js';

/** At most this many fields are mirrored (records with more are read at save). */
export const MIRROR_MAX_KEYS = 64;

/** The mirror of one ring chunk: one column per key, valid for slots [0, upTo). */
export interface MirrorChunk {
  readonly cols: readonly Float64Array[];
  readonly upTo: number;
}

/**
 * The mirror as a snapshot sees it: the record keys (or, for number rows, the row width) and one entry
 * per ring chunk (undefined: not mirrored). Rows have one column: the chunk's rows back to back.
 */
export interface MirrorView {
  readonly keys?: readonly string[];
  readonly rowWidth?: number;
  readonly chunks: readonly (MirrorChunk | undefined)[];
}

type Put = (item: unknown, cols: Float64Array[], slot: number, keys: readonly string[], proto: object) => boolean;
const putCache = new Map<string, Put>();

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function access(obj: string, key: string): string {
  return IDENT.test(key) && key !== '__proto__' ? `${obj}.${key}` : `${obj}[${JSON.stringify(key)}]`;
}

/**
 * A function writing the fields of `item` into `cols[j][slot]` when it is a number record of `keys`
 * (the same check as the save's gather); false, having written nothing, when it is not. Compiled once
 * per key list (constant property names for V8); a closure where code generation is disallowed.
 */
function putter(keys: readonly string[]): Put {
  const id = JSON.stringify(keys);
  let fn = putCache.get(id);
  if (fn) return fn;
  const m = keys.length;
  try {
    fn = new Function(
      'r',
      'cols',
      'slot',
      'keys',
      'proto',
      `if (typeof r !== 'object' || r === null || Object.getPrototypeOf(r) !== proto) return false;
       let j = 0;
       for (const k in r) {
         if (k !== keys[j]) return false;
         j++;
       }
       if (j !== ${m}) return false;
       ${keys.map((k, j) => `const v${j} = ${access('r', k)};`).join('\n')}
       if (${keys.map((_, j) => `typeof v${j} !== 'number'`).join(' || ')}) return false;
       ${keys.map((_, j) => `cols[${j}][slot] = v${j};`).join('\n')}
       return true;`,
    ) as Put;
  } catch (err) {
    if (!(err instanceof EvalError)) throw err;
    fn = (r, cols, slot, ks, proto) => {
      if (typeof r !== 'object' || r === null || Object.getPrototypeOf(r) !== proto) return false;
      let j = 0;
      for (const k in r) {
        if (k !== ks[j]) return false;
        j++;
      }
      if (j !== ks.length) return false;
      const o = r as Record<string, unknown>;
      for (j = 0; j < ks.length; j++) if (typeof o[ks[j]!] !== 'number') return false;
      for (j = 0; j < ks.length; j++) cols[j]![slot] = o[ks[j]!] as number;
      return true;
    };
  }
  if (putCache.size > 1024) putCache.clear();
  putCache.set(id, fn);
  return fn;
}

/** Writes number row `item` of `width` into `cols[0]` at row `slot`; false when it is not one. */
function putRow(item: unknown, cols: Float64Array[], slot: number, width: number): boolean {
  if (!Array.isArray(item) || item.length !== width) return false;
  const out = cols[0]!;
  const at = slot * width;
  for (let j = 0; j < width; j++) {
    const v = item[j];
    if (typeof v !== 'number') return false;
    out[at + j] = v;
  }
  return true;
}

/** The width of `item` when it can start a row mirror (an array of 1–MIRROR_MAX_KEYS numbers). */
function rowWidth(item: unknown): number | undefined {
  if (!Array.isArray(item) || item.length === 0 || item.length > MIRROR_MAX_KEYS) return undefined;
  for (let j = 0; j < item.length; j++) if (typeof item[j] !== 'number') return undefined;
  return item.length;
}

/** The keys of `item` when it can start a mirror (a plain object of 1–MIRROR_MAX_KEYS number fields). */
function mirrorKeys(item: unknown): string[] | undefined {
  if (typeof item !== 'object' || item === null || Object.getPrototypeOf(item) !== Object.prototype) return undefined;
  const keys = Object.keys(item);
  if (keys.length === 0 || keys.length > MIRROR_MAX_KEYS) return undefined;
  for (const k of keys) if (typeof (item as Record<string, unknown>)[k] !== 'number') return undefined;
  return keys;
}

interface Chunk {
  cols: Float64Array[];
  upTo: number;
}

/**
 * The mirror of a {@link ChunkedRing}: the ring calls {@link put} for every slot it writes,
 * {@link copyChunk} when it copies a chunk a snapshot shares, {@link reset} when its content is
 * replaced.
 */
export class NumberMirror {
  #keys: string[] | undefined;
  /** For number rows: their width (then #keys stays undefined). */
  #width: number | undefined;
  #put: Put | undefined;
  /** False once an item did not fit: nothing more is mirrored until {@link reset}. */
  #live = true;
  /** Per ring chunk; undefined: not mirrored (yet). */
  #chunks: (Chunk | undefined)[] = [];

  /** @param chunkLength the number of slots of ring chunk `c`. */
  constructor(private readonly chunkLength: (c: number) => number) {}

  /** Whether items are still mirrored. */
  get live(): boolean {
    return this.#live;
  }

  /** Mirrors `item`, written to slot `slot` of ring chunk `c`. */
  put(c: number, slot: number, item: unknown): void {
    if (!this.#live) return;
    let chunk = this.#chunks[c];
    if (chunk === undefined) {
      // A chunk is mirrored from its slot 0 on: a write elsewhere (after a replace) is left to the save.
      if (slot !== 0) return;
      if (this.#keys === undefined && this.#width === undefined) {
        this.#keys = mirrorKeys(item);
        if (this.#keys !== undefined) this.#put = putter(this.#keys);
        else this.#width = rowWidth(item);
        if (this.#keys === undefined && this.#width === undefined) {
          this.off();
          return;
        }
      }
      const n = this.chunkLength(c);
      const cols = this.#keys ? this.#keys.map(() => new Float64Array(n)) : [new Float64Array(n * this.#width!)];
      chunk = { cols, upTo: 0 };
      this.#chunks[c] = chunk;
    }
    const ok = this.#keys
      ? this.#put!(item, chunk.cols, slot, this.#keys, Object.prototype)
      : putRow(item, chunk.cols, slot, this.#width!);
    if (!ok) {
      this.off();
      return;
    }
    if (slot === chunk.upTo) chunk.upTo = slot + 1;
  }

  /** The ring copied chunk `c` (a snapshot still reads the old one): copy its columns too. */
  copyChunk(c: number): void {
    const chunk = this.#chunks[c];
    if (chunk) this.#chunks[c] = { cols: chunk.cols.map((a) => a.slice()), upTo: chunk.upTo };
  }

  /**
   * The ring's content was replaced: nothing is mirrored, unless `columns` (one per key, the new
   * content's fields, `length` values each) are given, which then mirror every slot.
   */
  reset(length = 0, columns?: NumberColumns | NumberRows): void {
    this.#live = true;
    this.#chunks = [];
    this.#keys = undefined;
    this.#width = undefined;
    this.#put = undefined;
    if (!columns || length === 0) return;
    if ('rowWidth' in columns) {
      const w = columns.rowWidth;
      if (w < 1 || w > MIRROR_MAX_KEYS || columns.values.length !== length * w) return;
      this.#width = w;
      for (let c = 0, at = 0; at < length; c++) {
        const n = this.chunkLength(c);
        const upTo = Math.min(n, length - at);
        const a = new Float64Array(n * w);
        a.set(columns.values.subarray(at * w, (at + upTo) * w));
        this.#chunks[c] = { cols: [a], upTo };
        at += upTo;
      }
      return;
    }
    if (columns.keys.length > MIRROR_MAX_KEYS) return;
    this.#keys = [...columns.keys];
    this.#put = putter(this.#keys);
    for (let c = 0, at = 0; at < length; c++) {
      const n = this.chunkLength(c);
      const upTo = Math.min(n, length - at);
      const cols = columns.values.map((v) => {
        const a = new Float64Array(n);
        const src = v as Float64Array;
        a.set(
          typeof src.subarray === 'function'
            ? src.subarray(at, at + upTo)
            : Array.prototype.slice.call(v, at, at + upTo),
        );
        return a;
      });
      this.#chunks[c] = { cols, upTo };
      at += upTo;
    }
  }

  /** The mirror at this moment (the chunk entries are replaced, never changed, by a later copy). */
  view(): MirrorView | undefined {
    if (!this.#live) return undefined;
    if (this.#keys !== undefined) return { keys: this.#keys, chunks: this.#chunks.slice() };
    if (this.#width !== undefined) return { rowWidth: this.#width, chunks: this.#chunks.slice() };
    return undefined;
  }

  private off(): void {
    this.#live = false;
    this.#chunks = [];
  }
}
