/**
 * The buffer file format (docs/engine.md, "Buffer file"), encoding and decoding: a msgpack sequence of
 * a meta map, then one list per column.
 * Offsets are tracked so typed-array payloads align to 8 within the file.
 */
import type { Segment } from '../backend/types.js';
import { EngineError } from '../backend/types.js';
import { skipValue } from '../backend/ts/list-scan.js';
import { decodeListDeferred, encodeListInto, encodeMirroredRowsInto } from './list.js';
import { decodeRecordListDeferred, encodeRecordListInto, isRecordList } from './record-list.js';
import { flatItems, ItemRuns, type DeferredItems, type ItemSource } from './records.js';
import { SegmentBuilder } from './segments.js';
import { decodeValue, encodeValue } from './values.js';

export const BUFFER_FORMAT = 'pamiq-buffer';
/** 2: a column may be a record batch (docs/engine.md); version 1 files (lists only) still load. */
export const BUFFER_VERSION = 2;

export interface BufferFileMeta {
  /** The buffer class, e.g. "SequentialBuffer". */
  kind: string;
  /** Construction settings worth checking or restoring at load (maxSize, keys, …). */
  config: Record<string, unknown>;
  /** Column names, one list each; `["items"]` for non-dict buffers. */
  columns: string[];
}

/** The segments of a buffer file: the meta map, then one list per column (docs/engine.md). */
export function encodeBufferFile(meta: BufferFileMeta, columns: readonly ItemSource[]): Segment[] {
  return [...encodeBufferFileBatches(meta, columns)].flat();
}

/**
 * The same bytes as {@link encodeBufferFile}, produced batch by batch (a few MiB each) so a writer can
 * write one batch while the next is encoded, and the event loop runs in between.
 */
export function* encodeBufferFileBatches(
  meta: BufferFileMeta,
  columns: readonly ItemSource[],
): Generator<Segment[], void, undefined> {
  if (columns.length !== meta.columns.length) {
    throw new RangeError(`buffer file: ${meta.columns.length} column names but ${columns.length} columns`);
  }
  const rows = columns[0]?.length ?? 0;
  columns.forEach((col, i) => {
    if (col.length !== rows) {
      throw new RangeError(
        `buffer file: column "${meta.columns[i]}" has ${col.length} items, "${meta.columns[0]}" has ${rows}`,
      );
    }
  });
  const head = encodeValue({
    format: BUFFER_FORMAT,
    version: BUFFER_VERSION,
    kind: meta.kind,
    config: meta.config,
    columns: [...meta.columns],
  });
  const b = new SegmentBuilder(0);
  b.copy(head);
  for (const col of columns) {
    if (col instanceof ItemRuns && (yield* encodeMirroredRowsInto(b, col))) continue;
    if (!(yield* encodeRecordListInto(b, col))) yield* encodeListInto(b, flatItems(col));
  }
  yield b.take();
}

function bad(what: string): never {
  throw new EngineError('EBADMSGPACK', `buffer file: ${what}`);
}

export function decodeBufferFile(bytes: Uint8Array): { meta: BufferFileMeta; columns: unknown[][] } {
  const { meta, columns } = decodeBufferFileDeferred(bytes);
  return { meta, columns: columns.map((c) => (Array.isArray(c) ? c : c.materialize())) };
}

/**
 * Like {@link decodeBufferFile}, but a record-batch column (and a list of number rows) comes back as
 * {@link DeferredItems}: checked and its columns decoded, its objects built on first use.
 * @throws EngineError EBADMSGPACK / ENEWERFORMAT as decodeBufferFile.
 */
export function decodeBufferFileDeferred(bytes: Uint8Array): {
  meta: BufferFileMeta;
  columns: (unknown[] | DeferredItems)[];
} {
  const metaEnd = skipValue(bytes, 0);
  const raw = decodeValue(bytes.subarray(0, metaEnd)) as Record<string, unknown> | null;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('the first value is not a meta map');
  if (raw.format !== BUFFER_FORMAT) bad(`meta "format" is ${JSON.stringify(raw.format)}, expected "${BUFFER_FORMAT}"`);
  const version = raw.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
    bad('meta "version" is not a positive integer');
  if (version > BUFFER_VERSION) {
    throw new EngineError(
      'ENEWERFORMAT',
      `buffer file: version ${version} is newer than the supported ${BUFFER_VERSION}`,
    );
  }
  if (typeof raw.kind !== 'string') bad('meta "kind" is not a string');
  const config = raw.config;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) bad('meta "config" is not a map');
  const names = raw.columns;
  if (!Array.isArray(names) || !names.every((c) => typeof c === 'string'))
    bad('meta "columns" is not an array of strings');
  const meta: BufferFileMeta = {
    kind: raw.kind,
    config: config as Record<string, unknown>,
    columns: names as string[],
  };

  const columns: (unknown[] | DeferredItems)[] = [];
  let offset = metaEnd;
  for (const name of meta.columns) {
    if (offset >= bytes.length) bad(`column "${name}" is missing (file ends at ${bytes.length})`);
    const { items, end } =
      version >= 2 && isRecordList(bytes, offset)
        ? decodeRecordListDeferred(bytes, offset)
        : decodeListDeferred(bytes, offset);
    columns.push(items);
    offset = end;
  }
  if (offset !== bytes.length)
    bad(`${bytes.length - offset} unexpected bytes after the last column at offset ${offset}`);
  const rows = columns[0]?.length ?? 0;
  columns.forEach((col, i) => {
    if (col.length !== rows)
      bad(`column "${meta.columns[i]}" has ${col.length} items, "${meta.columns[0]}" has ${rows}`);
  });
  return { meta, columns };
}
