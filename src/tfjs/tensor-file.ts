/**
 * Tensor files: a list of named tensors (shape, dtype, raw little-endian values) plus free-form
 * metadata, in the buffer-file layout of docs/engine.md (a meta map, then one list of typed arrays that
 * the engine writes zero-copy, 8-byte aligned). Used for tfjs weights and optimizer state.
 */
import type { Segment } from '../backend/types.js';
import { decodeBufferFile, encodeBufferFileBatches } from '../codec/buffer-format.js';
import { readStateFile, stageFile } from '../persistence/component-files.js';

export type TensorDtype = 'float32' | 'int32' | 'bool';

/** A tensor's values, copied out of tfjs. */
export interface TensorRecord {
  name: string;
  shape: number[];
  dtype: TensorDtype;
  values: Float32Array | Int32Array | Uint8Array;
}

/** A tensor file's content. */
export interface TensorFile {
  kind: string;
  meta: Record<string, unknown>;
  tensors: TensorRecord[];
}

/**
 * Stages (or writes, outside a save) `file` at `path`. The values are referenced, not copied: pass
 * arrays nothing will change afterwards.
 */
export function stageTensorFile(path: string, file: TensorFile): Promise<void> {
  const config = {
    ...file.meta,
    tensors: file.tensors.map(({ name, shape, dtype }) => ({ name, shape, dtype })),
  };
  const values = file.tensors.map((t) => t.values);
  return stageFile(
    path,
    (): Iterable<Segment[]> => encodeBufferFileBatches({ kind: file.kind, config, columns: ['values'] }, [values]),
  );
}

/**
 * Reads a file written by {@link stageTensorFile}.
 * @throws TypeError naming the file when it is not a tensor file of `kind` or is inconsistent;
 *   EngineError (EBADMSGPACK) when it is not a buffer file at all.
 */
export async function readTensorFile(path: string, kind: string): Promise<TensorFile> {
  const { meta, columns } = decodeBufferFile(await readStateFile(path));
  if (meta.kind !== kind) throw new TypeError(`${path}: holds a '${meta.kind}', expected a '${kind}'`);
  const { tensors: specs, ...rest } = meta.config as { tensors?: unknown };
  const values = columns[0] ?? [];
  if (!Array.isArray(specs) || specs.length !== values.length) {
    throw new TypeError(`${path}: the tensor list and the values differ in length`);
  }
  const tensors = specs.map((spec: { name?: unknown; shape?: unknown; dtype?: unknown }, i) => {
    const v = values[i];
    const shape = spec?.shape;
    if (
      typeof spec?.name !== 'string' ||
      !Array.isArray(shape) ||
      !shape.every((d) => Number.isInteger(d) && d >= 0) ||
      !(spec.dtype === 'float32' || spec.dtype === 'int32' || spec.dtype === 'bool')
    ) {
      throw new TypeError(`${path}: tensor ${i} has no valid name, shape and dtype`);
    }
    const want = spec.dtype === 'float32' ? Float32Array : spec.dtype === 'int32' ? Int32Array : Uint8Array;
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    if (!(v instanceof want) || v.length !== size) {
      throw new TypeError(`${path}: tensor '${spec.name}' should hold ${size} ${spec.dtype} values`);
    }
    return { name: spec.name, shape: shape as number[], dtype: spec.dtype, values: v } as TensorRecord;
  });
  return { kind, meta: rest as Record<string, unknown>, tensors };
}
