/**
 * Record batches (docs/engine.md, "Record batches"): a list of plain objects that all have the same
 * keys in the same order, held as columns — keys once; a number column as one typed array (the
 * narrowest integer array that holds every value exactly, else a Float64Array); a boolean column as a
 * Uint8Array of 0/1; equal-length typed arrays of one dtype as one tensor column; anything else as the
 * values themselves. Decoding builds objects of one shape again.
 *
 * Usable on its own: {@link encodeRecords} / {@link decodeRecords} turn items into columns and back
 * without any file around them (the columns are transferable typed arrays where the kind allows).
 */
import { DTYPE_CTORS, dtypeOf, type TypedArray } from './typed-arrays.js';

/** How a column is held: see the module comment. */
export type ColumnKind = 'number' | 'boolean' | 'tensor' | 'value';

/** At most this many keys make a record batch (more: the items are written one by one). */
export const MAX_RECORD_KEYS = 256;

export interface RecordBatch {
  count: number;
  /** The keys, in the order of the first item. */
  keys: string[];
  kinds: ColumnKind[];
  /** Elements per item of a tensor column (0 for the other kinds). */
  widths: number[];
  /**
   * One per key. number: a typed array of `count` elements; boolean: a Uint8Array of `count` 0/1;
   * tensor: the items' elements back to back (`count × width`), or the items themselves (an array of
   * `count` typed arrays of one dtype and `width` elements, as {@link encodeRecords} returns them,
   * zero-copy); value: an array of `count` values.
   */
  columns: (TypedArray | TypedArray[] | unknown[])[];
}

/** A part of a list: `items[from..to)`. */
export interface ItemRun {
  readonly items: readonly unknown[];
  readonly from: number;
  readonly to: number;
  /**
   * The number fields of `items` (one column per key of {@link ItemRuns.mirrorKeys}, indexed like
   * `items`), valid below `colsUpTo`: records checked when they were added (data/number-mirror.ts),
   * so an encoder copies these instead of reading the objects.
   */
  readonly cols?: readonly Float64Array[];
  readonly colsUpTo?: number;
}

/**
 * A list given as runs of other arrays, in order (the chunks of a buffer's ring): encoders read the
 * runs where they are, so a save never copies the list of references.
 */
export class ItemRuns {
  readonly length: number;

  /**
   * @param runs the parts, in order.
   * @param mirrorKeys the keys of the runs' `cols`: each mirrored item is a plain object with exactly
   *   these keys, in this order, every field a number.
   * @param mirrorRowWidth instead of keys: each mirrored item is an array of this many numbers, and a
   *   run's `cols` is one column, its rows back to back (`items[i]` at `i × width`).
   */
  constructor(
    readonly runs: readonly ItemRun[],
    readonly mirrorKeys?: readonly string[],
    readonly mirrorRowWidth?: number,
  ) {
    let n = 0;
    for (const r of runs) n += r.to - r.from;
    this.length = n;
  }

  /** The items as one new array. */
  flat(): unknown[] {
    const out = new Array<unknown>(this.length);
    let k = 0;
    for (const r of this.runs) for (let i = r.from; i < r.to; i++) out[k++] = r.items[i];
    return out;
  }
}

/**
 * A list of numbers given as Float64Array parts, in order (a dict buffer's mirrored field): the
 * encoder writes one number column from the parts (narrowed, or referenced in place) without building
 * the list. Everything else sees its numbers as items.
 */
export class NumberRuns extends ItemRuns {
  constructor(readonly parts: readonly Float64Array[]) {
    super(parts.map((p) => ({ items: p as unknown as readonly unknown[], from: 0, to: p.length })));
  }
}

/** A list to encode: an array, or {@link ItemRuns}. */
export type ItemSource = readonly unknown[] | ItemRuns;

/** The runs of a list. */
export function runsOf(src: ItemSource): readonly ItemRun[] {
  return src instanceof ItemRuns ? src.runs : [{ items: src, from: 0, to: src.length }];
}

/** The items of a list as an array (the array itself when it is one). */
export function flatItems(src: ItemSource): readonly unknown[] {
  return src instanceof ItemRuns ? src.flat() : src;
}

/** The first item of a list (undefined when empty). */
function firstOf(src: ItemSource): unknown {
  for (const r of runsOf(src)) if (r.to > r.from) return r.items[r.from];
  return undefined;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A property access expression for `key` on `obj` (named, so V8 sees a constant key). */
function access(obj: string, key: string): string {
  return IDENT.test(key) && key !== '__proto__' ? `${obj}.${key}` : `${obj}[${JSON.stringify(key)}]`;
}

/**
 * A function compiled from source (fast: V8 sees constant property names), or the same work as a
 * closure where code generation from strings is disallowed (node --disallow-code-generation-from-strings).
 */
function generated<F>(compile: () => F, fallback: () => F): F {
  try {
    return compile();
  } catch (err) {
    if (err instanceof EvalError) return fallback();
    throw err;
  }
}

type Gather = (items: readonly unknown[], out: Float64Array, from: number, to: number, delta: number) => number;
const gatherCache = new Map<string, Gather>();

/** A function copying `items[i][key]` into `out[i + delta]` for i in [from, to) while they are numbers; returns where it stopped. */
function numberGatherer(key: string): Gather {
  let fn = gatherCache.get(key);
  if (!fn) {
    fn = generated<Gather>(
      () =>
        new Function(
          'items',
          'out',
          'from',
          'to',
          'delta',
          `for (let i = from; i < to; i++) {
         const v = ${access('items[i]', key)};
         if (typeof v !== 'number') return i;
         out[i + delta] = v;
       }
       return to;`,
        ) as Gather,
      () => (items, out, from, to, delta) => {
        for (let i = from; i < to; i++) {
          const v = (items[i] as Record<string, unknown>)[key];
          if (typeof v !== 'number') return i;
          out[i + delta] = v;
        }
        return to;
      },
    );
    if (gatherCache.size > 1024) gatherCache.clear();
    gatherCache.set(key, fn);
  }
  return fn;
}

/**
 * The keys shared by every item, when `items` is a non-empty list of plain objects (prototype
 * Object.prototype) that all have exactly the same own enumerable keys in the same order; else
 * undefined.
 */
export function recordKeys(items: ItemSource): string[] | undefined {
  return run(recordKeysSteps(items));
}

/** Items handled between two yields of the step generators (a few ms of work). */
export const RECORDS_PER_STEP = 16_384;

/** Runs a step generator to its end, synchronously. */
function run<R>(steps: Generator<void, R, undefined>): R {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

function* recordKeysSteps(src: ItemSource): Generator<void, string[] | undefined, undefined> {
  if (src.length === 0) return undefined;
  const first = firstOf(src);
  if (typeof first !== 'object' || first === null || Object.getPrototypeOf(first) !== Object.prototype)
    return undefined;
  const keys = Object.keys(first);
  const m = keys.length;
  if (m === 0 || m > MAX_RECORD_KEYS) return undefined;
  for (const run of runsOf(src)) {
    const items = run.items;
    for (let from = run.from; from < run.to; from += RECORDS_PER_STEP) {
      const to = Math.min(run.to, from + RECORDS_PER_STEP);
      for (let i = from; i < to; i++) {
        const item = items[i];
        if (typeof item !== 'object' || item === null || Object.getPrototypeOf(item) !== Object.prototype)
          return undefined;
        let j = 0;
        // for-in walks V8's enum cache (no allocation); own keys only, as Object.prototype has none enumerable.
        for (const k in item) {
          if (k !== keys[j]) return undefined;
          j++;
        }
        if (j !== m) return undefined;
      }
      yield;
    }
  }
  return keys;
}

type FusedGather = (
  items: readonly unknown[],
  cols: Float64Array[],
  from: number,
  to: number,
  keys: readonly string[],
  proto: object,
  delta: number,
) => number;
const fusedCache = new Map<string, FusedGather>();

/**
 * One pass over records whose fields are all numbers: checks each item's shape (plain object, the same
 * keys in the same order) and copies its fields into the columns (item i into row i + delta). Returns `to` when every item of
 * [from, to) fitted; `-(i + 1)` when item i has another shape (not records); `i` when item i has the
 * shape but a field that is not a number.
 */
function fusedGatherer(keys: readonly string[]): FusedGather {
  const id = JSON.stringify(keys);
  let fn = fusedCache.get(id);
  if (!fn) {
    const m = keys.length;
    const loads = keys.map((k, j) => `const v${j} = ${access('r', k)};`).join('\n');
    const test = keys.map((_, j) => `typeof v${j} !== 'number'`).join(' || ');
    const stores = keys.map((_, j) => `c${j}[i + delta] = v${j};`).join('\n');
    const decls = keys.map((_, j) => `const c${j} = cols[${j}];`).join('\n');
    fn = generated<FusedGather>(
      () =>
        new Function(
          'items',
          'cols',
          'from',
          'to',
          'keys',
          'proto',
          'delta',
          `${decls}
           for (let i = from; i < to; i++) {
             const r = items[i];
             if (typeof r !== 'object' || r === null || Object.getPrototypeOf(r) !== proto) return -i - 1;
             let j = 0;
             for (const k in r) {
               if (k !== keys[j]) return -i - 1;
               j++;
             }
             if (j !== ${m}) return -i - 1;
             ${loads}
             if (${test}) return i;
             ${stores}
           }
           return to;`,
        ) as FusedGather,
      () => (items, cols, from, to, ks, proto, delta) => {
        for (let i = from; i < to; i++) {
          const r = items[i] as Record<string, unknown>;
          if (typeof r !== 'object' || r === null || Object.getPrototypeOf(r) !== proto) return -i - 1;
          let j = 0;
          for (const k in r) {
            if (k !== ks[j]) return -i - 1;
            j++;
          }
          if (j !== ks.length) return -i - 1;
          for (j = 0; j < ks.length; j++) if (typeof r[ks[j]!] !== 'number') return i;
          for (j = 0; j < ks.length; j++) cols[j]![i + delta] = r[ks[j]!] as number;
        }
        return to;
      },
    );
    if (fusedCache.size > 1024) fusedCache.clear();
    fusedCache.set(id, fn);
  }
  return fn;
}

/**
 * The common case in one pass per item: records whose fields are all numbers. Returns the batch, or
 * 'other' when the items are records of another kind (or not records): the general path decides.
 * With `parts`, a number column that stays Float64 may come back as its parts (views of the ring's
 * mirrored columns and of the gathered stretches, in order): the file writer references them where
 * they are instead of copying them into one array.
 */
function* allNumbersSteps(src: ItemSource, parts: boolean): Generator<void, RecordBatch | 'other', undefined> {
  const n = src.length;
  const first = firstOf(src);
  if (n === 0 || typeof first !== 'object' || first === null || Object.getPrototypeOf(first) !== Object.prototype)
    return 'other';
  const keys = Object.keys(first);
  if (keys.length === 0 || keys.length > MAX_RECORD_KEYS) return 'other';
  const gather = fusedGatherer(keys);
  const colParts: Float64Array[][] = keys.map(() => []);
  const mirrored = src instanceof ItemRuns && sameKeys(src.mirrorKeys, keys);
  // The first steps are short: a freshly generated gatherer runs interpreted until V8 optimizes it.
  let step = RECORDS_PER_STEP / 16;
  for (const run of runsOf(src)) {
    let from = run.from;
    // The mirrored part of the run: its fields were checked and copied when the items were added.
    const upTo = mirrored && run.cols ? Math.min(run.to, run.colsUpTo ?? 0) : from;
    if (upTo > from) {
      for (let j = 0; j < keys.length; j++) colParts[j]!.push(run.cols![j]!.subarray(from, upTo));
      from = upTo;
    }
    if (from === run.to) continue;
    const base = from;
    const cols = keys.map(() => new Float64Array(run.to - base));
    while (from < run.to) {
      const to = Math.min(run.to, from + step);
      if (gather(run.items, cols, from, to, keys, Object.prototype, -base) !== to) return 'other';
      from = to;
      step = Math.min(RECORDS_PER_STEP, step * 2);
      yield;
    }
    for (let j = 0; j < keys.length; j++) colParts[j]!.push(cols[j]!);
  }
  const columns: (TypedArray | TypedArray[])[] = [];
  for (const p of colParts) {
    const c = yield* narrowPartsSteps(p);
    columns.push(parts || !Array.isArray(c) ? c : concatFloat64(c));
    yield;
  }
  return { count: n, keys, kinds: keys.map(() => 'number' as const), widths: keys.map(() => 0), columns };
}

/** True when `a` holds exactly the strings of `b`, in the same order. */
export function sameKeys(a: readonly string[] | undefined, b: readonly string[]): boolean {
  if (a === undefined || a.length !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function concatFloat64(parts: readonly Float64Array[]): Float64Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Float64Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The narrowest typed array holding every value of `f` exactly (integers, no -0), else `f` itself. */
export function narrowNumbers(f: Float64Array): TypedArray {
  return run(narrowNumbersSteps(f));
}

/** Numbers checked (or converted) between two yields of {@link narrowNumbersSteps}. */
const NUMBERS_PER_STEP = 65_536;

/** {@link narrowNumbers} in steps of {@link NUMBERS_PER_STEP} numbers. */
export function* narrowNumbersSteps(f: Float64Array): Generator<void, TypedArray, undefined> {
  const c = yield* narrowPartsSteps([f]);
  return Array.isArray(c) ? f : c;
}

/**
 * Widens `range` ([min, max], starting at [0, 0]) to the values of `f[from..to)`; false as soon as one
 * is not an integer in int32/uint32 range or is -0 (such a column stays float64). A plain function, not
 * part of a generator, so that V8 optimizes its loop (on stack, too).
 */
function intRange(f: Float64Array, from: number, to: number, range: Float64Array): boolean {
  let min = range[0]!;
  let max = range[1]!;
  for (let i = from; i < to; i++) {
    const x = f[i]!;
    if (!((x | 0) === x || x >>> 0 === x) || (x === 0 && 1 / x < 0)) return false;
    if (x < min) min = x;
    else if (x > max) max = x;
  }
  range[0] = min;
  range[1] = max;
  return true;
}

/**
 * The numbers of `parts` (in order) as one narrowest exact integer typed array (see
 * {@link narrowNumbers}); when they do not all fit one, the parts themselves (a single part as it is).
 */
export function* narrowPartsSteps(
  parts: readonly Float64Array[],
): Generator<void, TypedArray | Float64Array[], undefined> {
  let total = 0;
  for (const f of parts) total += f.length;
  const whole = (): TypedArray | Float64Array[] => (parts.length === 1 ? parts[0]! : [...parts]);
  // The first steps are short (4,096 numbers, doubling) until V8 has optimized the loop; a step never
  // spans two parts, and every step but the last is followed by a yield.
  let step = NUMBERS_PER_STEP / 16;
  let checked = 0;
  const range = new Float64Array(2);
  for (const f of parts) {
    const n = f.length;
    for (let from = 0; from < n; ) {
      const to = Math.min(n, from + step);
      step = Math.min(NUMBERS_PER_STEP, step * 2);
      if (!intRange(f, from, to, range)) return whole();
      checked += to - from;
      from = to;
      if (checked < total) yield;
    }
  }
  const min = range[0]!;
  const max = range[1]!;
  let Ctor: new (length: number) => TypedArray;
  if (min >= 0) Ctor = max <= 0xff ? Uint8Array : max <= 0xffff ? Uint16Array : Uint32Array;
  else if (min >= -0x80 && max <= 0x7f) Ctor = Int8Array;
  else if (min >= -0x8000 && max <= 0x7fff) Ctor = Int16Array;
  else if (max <= 0x7fffffff) Ctor = Int32Array;
  else return whole();
  const out = new Ctor(total);
  let at = 0;
  for (const f of parts) {
    for (let from = 0; from < f.length; from += NUMBERS_PER_STEP) {
      const to = Math.min(f.length, from + NUMBERS_PER_STEP);
      (out as Float64Array).set(f.subarray(from, to), at + from);
      if (at + to < total) yield;
    }
    at += f.length;
  }
  return out;
}

/** The values of `key` over the items. */
function valuesOf(src: ItemSource, key: string): unknown[] {
  const out = new Array<unknown>(src.length);
  let k = 0;
  for (const r of runsOf(src))
    for (let i = r.from; i < r.to; i++) out[k++] = (r.items[i] as Record<string, unknown>)[key];
  return out;
}

/** The column of one key, and how it is held. */
function* columnSteps(src: ItemSource, key: string): Generator<void, ColumnOf, undefined> {
  const n = src.length;
  const f = new Float64Array(n);
  const gather = numberGatherer(key);
  let row = 0;
  for (const run of runsOf(src)) {
    for (let from = run.from; from < run.to; from += RECORDS_PER_STEP) {
      const to = Math.min(run.to, from + RECORDS_PER_STEP);
      if (gather(run.items, f, from, to, row - from) !== to) return classifyColumn(valuesOf(src, key));
      row += to - from;
      yield;
    }
  }
  return { kind: 'number', width: 0, data: yield* narrowNumbersSteps(f) };
}

export interface ColumnOf {
  kind: ColumnKind;
  width: number;
  data: TypedArray | TypedArray[] | unknown[];
}

/** How a list of values is held as a column (number, boolean, tensor, else value). */
export function classifyColumn(values: readonly unknown[]): ColumnOf {
  const n = values.length;
  if (n > 0 && typeof values[0] === 'number') {
    const f = new Float64Array(n);
    let i = 0;
    for (; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'number') break;
      f[i] = v;
    }
    if (i === n) return { kind: 'number', width: 0, data: narrowNumbers(f) };
  }
  if (n > 0 && typeof values[0] === 'boolean' && values.every((v) => typeof v === 'boolean')) {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = values[i] ? 1 : 0;
    return { kind: 'boolean', width: 0, data: b };
  }
  const dtype = dtypeOf(values[0]);
  if (dtype !== 0) {
    const width = (values[0] as TypedArray).length;
    let same = true;
    for (let i = 1; i < n && same; i++) {
      const v = values[i];
      same = dtypeOf(v) === dtype && (v as TypedArray).length === width;
    }
    if (same) return { kind: 'tensor', width, data: values as TypedArray[] };
  }
  return { kind: 'value', width: 0, data: values as unknown[] };
}

/**
 * The items as a record batch, or undefined when they are not records of one shape (see
 * {@link recordKeys}). Tensor columns reference the items' typed arrays (zero-copy); nothing is
 * checked for writability here (value columns are encoded, and refused, by whoever writes them).
 */
export function encodeRecords(items: ItemSource): RecordBatch | undefined {
  return run(encodeRecordsSteps(items));
}

/**
 * {@link encodeRecords} in steps: yields after every {@link RECORDS_PER_STEP} items of work, so a caller
 * can let the event loop run in between; returns what encodeRecords returns, except that with `parts`
 * a Float64 number column may be an array of Float64Array parts (in order; see allNumbersSteps), for a
 * writer that references them in place.
 */
export function* encodeRecordsSteps(
  items: ItemSource,
  parts = false,
): Generator<void, RecordBatch | undefined, undefined> {
  const fast = yield* allNumbersSteps(items, parts);
  if (fast !== 'other') return fast;
  const keys = yield* recordKeysSteps(items);
  if (!keys) return undefined;
  const batch: RecordBatch = { count: items.length, keys, kinds: [], widths: [], columns: [] };
  for (const key of keys) {
    const c = yield* columnSteps(items, key);
    batch.kinds.push(c.kind);
    batch.widths.push(c.width);
    batch.columns.push(c.data);
  }
  return batch;
}

/** The items of a tensor column as one contiguous typed array (`count × width` elements). */
export function packTensorColumn(parts: readonly TypedArray[], dtype: number, width: number): TypedArray {
  const Ctor = DTYPE_CTORS[dtype];
  if (!Ctor) throw new RangeError(`unknown typed-array dtype ${dtype}`);
  const out = new Ctor(parts.length * width);
  for (let i = 0; i < parts.length; i++) (out as Uint8Array).set(parts[i] as Uint8Array, i * width);
  return out;
}

type Build = (cols: unknown[], n: number) => Record<string, unknown>[];
const buildCache = new Map<string, Build>();

/** A function building `n` objects of one shape from the columns (generated once per shape). */
function builder(keys: readonly string[], kinds: readonly ColumnKind[], parts: readonly boolean[]): Build {
  const id = JSON.stringify([keys, kinds, parts]);
  let fn = buildCache.get(id);
  if (!fn) {
    const decls: string[] = [];
    const fields: string[] = [];
    keys.forEach((key, j) => {
      decls.push(`const c${j} = cols[${j}];`);
      let expr: string;
      switch (kinds[j]) {
        case 'boolean':
          expr = `c${j}[i] === 1`;
          break;
        case 'tensor':
          if (parts[j]) {
            expr = `c${j}[i]`;
          } else {
            decls.push(`const w${j} = cols[${keys.length + j}];`);
            expr = `c${j}.subarray(i * w${j}, i * w${j} + w${j})`;
          }
          break;
        default:
          expr = `c${j}[i]`;
      }
      // A computed key makes `__proto__` an own property, as JSON.parse does; others are plain literals.
      const name = key === '__proto__' ? '["__proto__"]' : JSON.stringify(key);
      fields.push(`${name}: ${expr}`);
    });
    fn = generated<Build>(
      () =>
        new Function(
          'cols',
          'n',
          `${decls.join('\n')}
       const out = new Array(n);
       for (let i = 0; i < n; i++) out[i] = { ${fields.join(', ')} };
       return out;`,
        ) as Build,
      () => (cols, n) => {
        const m = keys.length;
        const out = new Array<Record<string, unknown>>(n);
        for (let i = 0; i < n; i++) {
          const o: Record<string, unknown> = {};
          for (let j = 0; j < m; j++) {
            const c = cols[j] as ArrayLike<unknown> & { subarray?: (a: number, b: number) => unknown };
            const w = cols[m + j] as number;
            const v =
              kinds[j] === 'boolean'
                ? c[i] === 1
                : kinds[j] === 'tensor' && !parts[j]
                  ? c.subarray!(i * w, i * w + w)
                  : c[i];
            Object.defineProperty(o, keys[j]!, { value: v, enumerable: true, writable: true, configurable: true });
          }
          out[i] = o;
        }
        return out;
      },
    );
    if (buildCache.size > 1024) buildCache.clear();
    buildCache.set(id, fn);
  }
  return fn;
}

/**
 * The items of a record batch: objects of one shape, keys in batch order. Number columns read back
 * as numbers, boolean columns as booleans, tensor columns as zero-copy views of the column (or the
 * part typed arrays themselves), value columns as they are.
 * `build` limits how many items are built (0: only check the batch).
 * @throws RangeError when a column does not fit `count`, its kind or its width.
 */
export function decodeRecords(batch: RecordBatch, build = batch.count): Record<string, unknown>[] {
  const { count, keys, kinds, widths, columns } = batch;
  const m = keys.length;
  if (kinds.length !== m || widths.length !== m || columns.length !== m) {
    throw new RangeError(
      `record batch: ${m} keys but ${kinds.length} kinds, ${widths.length} widths, ${columns.length} columns`,
    );
  }
  const parts: boolean[] = [];
  const cols: unknown[] = [...columns];
  for (let j = 0; j < m; j++) {
    const c = columns[j]!;
    const kind = kinds[j];
    const isTyped = ArrayBuffer.isView(c);
    let ok: boolean;
    let part = false;
    switch (kind) {
      case 'number':
        ok = isTyped && dtypeOf(c) >= 1 && dtypeOf(c) <= 9 && (c as TypedArray).length === count;
        break;
      case 'boolean':
        ok = c instanceof Uint8Array && c.length === count;
        break;
      case 'tensor':
        part = Array.isArray(c);
        ok = part ? c.length === count : isTyped && dtypeOf(c) !== 0 && (c as TypedArray).length === count * widths[j]!;
        break;
      case 'value':
        ok = Array.isArray(c) && c.length === count;
        break;
      default:
        throw new RangeError(
          `record batch: unknown column kind ${JSON.stringify(kind)} for key ${JSON.stringify(keys[j])}`,
        );
    }
    if (!ok)
      throw new RangeError(`record batch: column ${JSON.stringify(keys[j])} does not hold ${count} ${kind} items`);
    parts.push(part);
    cols[m + j] = widths[j];
  }
  return builder(keys, kinds, parts)(cols, Math.min(build, count));
}

/**
 * Items decoded from a record batch but not built yet: {@link materialize} builds the objects once (on
 * first use) and returns the same array afterwards. Lets a loaded buffer be usable at once; what it
 * returns is exactly what an eager decode returns.
 */
/** Records whose fields are all numbers, as their keys and one column of values per key. */
export interface NumberColumns {
  readonly keys: readonly string[];
  readonly values: readonly ArrayLike<number>[];
}

/** Rows of `rowWidth` numbers, as their values back to back. */
export interface NumberRows {
  readonly rowWidth: number;
  readonly values: Float64Array;
}

export class DeferredItems {
  #build: (() => unknown[]) | undefined;
  #items: unknown[] | undefined;

  /**
   * When every field of the items is a number: the keys and one column of `length` values per key
   * (what the items are built from), so a buffer can keep them as columns without reading objects.
   */
  readonly numberColumns?: NumberColumns;
  /** When the items are rows of `rowWidth` numbers: their values back to back. */
  readonly numberRows?: NumberRows;
  /** When the items are numbers: their values (a dict buffer's column). */
  readonly numberValues?: ArrayLike<number>;

  constructor(
    /** How many items {@link materialize} returns. */
    readonly length: number,
    build: () => unknown[],
    /** What the items are made of, when they are numbers (see the fields of the same names). */
    numbers: {
      numberColumns?: DeferredItems['numberColumns'];
      numberRows?: DeferredItems['numberRows'];
      numberValues?: ArrayLike<number>;
    } = {},
  ) {
    this.#build = build;
    this.numberColumns = numbers.numberColumns;
    this.numberRows = numbers.numberRows;
    this.numberValues = numbers.numberValues;
  }

  /** The items (built on the first call). */
  materialize(): unknown[] {
    if (!this.#items) {
      this.#items = this.#build!();
      this.#build = undefined;
    }
    return this.#items;
  }
}
