/** Copying tfjs tensors to and from {@link TensorRecord}s. */
import * as tf from '@tensorflow/tfjs';
import type { TensorDtype, TensorRecord } from './tensor-file.js';

/** A copy of `tensor`'s values (read synchronously, so it is the value at the moment of the call). */
export function recordOf(name: string, tensor: tf.Tensor): TensorRecord {
  const dtype = tensor.dtype;
  if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') {
    throw new TypeError(`tensor '${name}' has dtype ${dtype}; only float32, int32 and bool can be saved`);
  }
  const data = tensor.dataSync();
  const values =
    dtype === 'float32'
      ? Float32Array.from(data as Float32Array)
      : dtype === 'int32'
        ? Int32Array.from(data as Int32Array)
        : Uint8Array.from(data as Uint8Array);
  return { name, shape: tensor.shape.slice(), dtype: dtype as TensorDtype, values };
}

/** A new tensor holding a copy of `record`'s values. */
export function tensorOf(record: TensorRecord): tf.Tensor {
  return tf.tensor(record.values, record.shape, record.dtype);
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
