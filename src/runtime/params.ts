/**
 * Parameters from the training worker to the inference models on the main thread, through one
 * SharedArrayBuffer per model holding three slots (a triple buffer).
 *
 * Each slot has exactly one owner at a time: the writer (worker) fills its own slot, then swaps it
 * with the spare slot in one `Atomics.exchange` that also marks the spare as fresh; the reader (main)
 * swaps the fresh spare with its own slot in one `Atomics.exchange`. So the reader never sees a slot
 * being written (no torn update), never waits, and a publish never blocks on a slow reader — the
 * reader simply gets the newest complete set the next time it looks.
 */
import { DTYPE_CTORS, dtypeOf } from '../codec/typed-arrays.js';
import type { ParameterArray, Parameters } from '../model/training-model.js';

/** The name of the typed-array kind `dtype` (a dtype code of codec/typed-arrays.ts). */
const kindName = (dtype: number) => DTYPE_CTORS[dtype]!.name;

/** One named parameter array of a model: its kind, length and byte offset inside a slot. */
export interface ParameterEntry {
  name: string;
  /** The dtype code (codec/typed-arrays.ts). */
  dtype: number;
  length: number;
  offset: number;
}

/** How a model's parameters are laid out in each slot. Structured-cloneable. */
export interface ParameterLayout {
  entries: ParameterEntry[];
  slotBytes: number;
}

/** `ctl` holds the index of the spare slot, with FRESH set when it holds an unread publish. */
const FRESH = 4;
const HEADER = 8;

/**
 * The layout of `params`.
 * @throws TypeError naming the entry that is not one of the supported typed arrays.
 */
export function layoutOf(model: string, params: Parameters): ParameterLayout {
  if (typeof params !== 'object' || params === null) {
    throw new TypeError(`Model '${model}': exportParameters() must return an object of typed arrays`);
  }
  const entries: ParameterEntry[] = [];
  let offset = 0;
  for (const [name, array] of Object.entries(params)) {
    const dtype = dtypeOf(array);
    if (dtype === 0) {
      throw new TypeError(
        `Model '${model}': parameter '${name}' must be a typed array (${DTYPE_CTORS.slice(1)
          .map((c) => c!.name)
          .join(', ')}), got ${describe(array)}`,
      );
    }
    offset = Math.ceil(offset / 8) * 8;
    entries.push({ name, dtype, length: array.length, offset });
    offset += array.byteLength;
  }
  return { entries, slotBytes: Math.ceil(offset / 8) * 8 };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

/** A shared block for `layout`: the writer owns slot 0, the spare is slot 1, the reader owns slot 2. */
export function allocateParameters(layout: ParameterLayout): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(HEADER + 3 * layout.slotBytes);
  Atomics.store(new Int32Array(sab, 0, 1), 0, 1);
  return sab;
}

function views(sab: SharedArrayBuffer, layout: ParameterLayout, slot: number): Parameters {
  const base = HEADER + slot * layout.slotBytes;
  const out: Parameters = {};
  for (const e of layout.entries) {
    out[e.name] = new (
      DTYPE_CTORS[e.dtype] as unknown as new (
        b: SharedArrayBuffer,
        o: number,
        n: number,
      ) => ParameterArray
    )(sab, base + e.offset, e.length);
  }
  return out;
}

/** The worker's side: copies the model's parameters into its slot and publishes them. */
export class ParameterWriter {
  private slot = 0;
  private readonly ctl: Int32Array;
  private readonly slots: Parameters[];

  constructor(
    readonly model: string,
    private readonly sab: SharedArrayBuffer,
    readonly layout: ParameterLayout,
  ) {
    this.ctl = new Int32Array(sab, 0, 1);
    this.slots = [0, 1, 2].map((i) => views(sab, layout, i));
  }

  /**
   * Copies every array of `params` into the writer's slot, then publishes that slot.
   * @throws TypeError when `params` no longer matches the layout (a name, kind or length changed).
   */
  publish(params: Parameters): void {
    const target = this.slots[this.slot]!;
    for (const e of this.layout.entries) {
      const src = params[e.name];
      if (dtypeOf(src) !== e.dtype || (src as ParameterArray).length !== e.length) {
        throw new TypeError(
          `Model '${this.model}': exportParameters() changed shape: '${e.name}' was ${kindName(e.dtype)}(${e.length}), ` +
            `now ${src === undefined ? 'missing' : `${describe(src)}(${(src as ParameterArray).length})`}`,
        );
      }
      (target[e.name] as ParameterArray).set(src as never);
    }
    this.slot = Atomics.exchange(this.ctl, 0, this.slot | FRESH) & 3;
  }

  get buffer(): SharedArrayBuffer {
    return this.sab;
  }
}

/** The main thread's side: O(1), never blocks, never sees a slot while it is written. */
export class ParameterReader {
  private slot = 2;
  private readonly ctl: Int32Array;
  private readonly slots: Parameters[];

  constructor(sab: SharedArrayBuffer, layout: ParameterLayout) {
    this.ctl = new Int32Array(sab, 0, 1);
    this.slots = [0, 1, 2].map((i) => views(sab, layout, i));
  }

  /**
   * The newest published parameters when they were not read yet, else undefined. The arrays stay
   * valid (unchanged) until the next call.
   */
  takeFresh(): Parameters | undefined {
    if (!(Atomics.load(this.ctl, 0) & FRESH)) return undefined;
    this.slot = Atomics.exchange(this.ctl, 0, this.slot) & 3;
    return this.slots[this.slot];
  }
}
