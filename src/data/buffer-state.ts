/**
 * How the built-in buffers save and load their state: `${path}.msgpack` in the buffer file format
 * (codec/buffer-format.ts, docs/engine.md "Buffer file"), checked against the loading buffer.
 *
 * Saving captures only the array of item references: items are immutable by contract, so the
 * producer — which runs later, in the background, while training continues — can encode them safely.
 */
import { readStateFile, stageFile } from '../persistence/component-files.js';
import type { Segment } from '../backend/types.js';
import { decodeBufferFileDeferred, encodeBufferFileBatches, type BufferFileMeta } from '../codec/buffer-format.js';
import { DeferredItems, type ItemSource } from '../codec/records.js';

/** The saved buffer does not fit the buffer loading it (another kind, other keys). */
export class BufferStateMismatchError extends Error {
  constructor(
    message: string,
    /** The buffer file concerned. */
    readonly file: string,
  ) {
    super(message);
    this.name = 'BufferStateMismatchError';
  }
}

type Columns = readonly ItemSource[];

/**
 * Stages `${path}.msgpack`; `columns` is called in the producer, with the captured references. It may
 * be a generator function: its yields are event-loop turns, its return value the columns. `meta` may
 * be a function too, called in the producer before `columns` (for settings computed from the capture).
 */
export async function saveBufferFile(
  path: string,
  meta: BufferFileMeta | (() => BufferFileMeta),
  columns: () => Columns | Generator<void, Columns, undefined>,
): Promise<void> {
  await stageFile(`${path}.msgpack`, () => withTurns(batchesOf(meta, columns)));
}

function* batchesOf(
  metaOf: BufferFileMeta | (() => BufferFileMeta),
  columns: () => Columns | Generator<void, Columns, undefined>,
): Generator<Segment[], void, undefined> {
  const meta = typeof metaOf === 'function' ? metaOf() : metaOf;
  const c = columns();
  let cols: Columns;
  if (Array.isArray(c)) {
    cols = c;
  } else {
    const steps = c as Generator<void, Columns, undefined>;
    for (;;) {
      const r = steps.next();
      if (r.done) {
        cols = r.value;
        break;
      }
      yield [];
    }
  }
  yield* encodeBufferFileBatches(meta, cols);
}

/**
 * The batches of `batches`, with an event-loop turn (setImmediate) before the first one and in place
 * of every empty one: the write phase starts right after the capture, in the same task, and the
 * loops get a turn before any encoding.
 */
async function* withTurns(batches: Iterable<Segment[]>): AsyncGenerator<Segment[], void, undefined> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  for (const batch of batches) {
    if (batch.length === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    else yield batch;
  }
}

/**
 * Reads `${path}.msgpack` and returns its columns in the order of `expectedColumns`.
 * @throws BufferStateMismatchError naming the file and the difference when the saved kind differs
 *   from `kind` or the saved columns (dict keys) differ from `expectedColumns`.
 */
export async function loadBufferFile(
  path: string,
  kind: string,
  expectedColumns: readonly string[],
): Promise<{ meta: BufferFileMeta; columns: unknown[][] }> {
  const { meta, columns } = await loadBufferFileDeferred(path, kind, expectedColumns);
  return { meta, columns: columns.map((c) => (c instanceof DeferredItems ? c.materialize() : c)) };
}

/**
 * Like {@link loadBufferFile}, but a column saved as a record batch comes back as {@link DeferredItems}
 * (checked now, its objects built on first use), so a large loaded buffer is usable at once.
 */
export async function loadBufferFileDeferred(
  path: string,
  kind: string,
  expectedColumns: readonly string[],
): Promise<{ meta: BufferFileMeta; columns: (unknown[] | DeferredItems)[] }> {
  const file = `${path}.msgpack`;
  const { meta, columns } = decodeBufferFileDeferred(await readStateFile(file));
  if (meta.kind !== kind) {
    throw new BufferStateMismatchError(`Cannot load '${file}' into a ${kind}: it was saved by a ${meta.kind}.`, file);
  }
  const saved = meta.columns;
  const missing = expectedColumns.filter((c) => !saved.includes(c));
  const unexpected = saved.filter((c) => !expectedColumns.includes(c));
  if (missing.length > 0 || unexpected.length > 0) {
    const parts = [];
    if (missing.length > 0) parts.push(`missing ${JSON.stringify(missing)}`);
    if (unexpected.length > 0) parts.push(`unexpected ${JSON.stringify(unexpected)}`);
    throw new BufferStateMismatchError(
      `Cannot load '${file}' into a ${kind} with keys ${JSON.stringify(expectedColumns)}: ` +
        `the saved keys are ${JSON.stringify(saved)} (${parts.join(', ')}).`,
      file,
    );
  }
  const byName = new Map(saved.map((name, i) => [name, columns[i] ?? []]));
  const ordered = expectedColumns.map((c) => byName.get(c)!);
  const length = ordered[0]?.length ?? 0;
  if (ordered.some((col) => col.length !== length)) {
    throw new BufferStateMismatchError(`Cannot load '${file}': its columns differ in length.`, file);
  }
  return { meta, columns: ordered };
}

/** The last `max` elements (the newest, as every built-in buffer saves oldest first). */
export function keepNewest<T>(items: T[], max: number): T[] {
  return items.length > max ? items.slice(items.length - max) : items;
}
