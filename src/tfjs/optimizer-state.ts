/**
 * The complete state of a tfjs optimizer, for an exact resume: the iteration count and the slots that
 * `optimizer.getWeights()` returns (Adam's first and second moments, momentum accumulators, …), plus
 * every other tf.Variable the optimizer holds as an own property (Adam's `accBeta1`/`accBeta2`, which
 * `setWeights` would otherwise recompute with `pow` — close, but not bit-identical to the products
 * accumulated step by step).
 */
import * as tf from '@tensorflow/tfjs';
import { readTensorFile, stageTensorFile, type TensorRecord } from './tensor-file.js';
import { recordOf, sameShape, tensorOf } from './tensors.js';

const KIND = 'TfjsOptimizer';

/** The optimizer's slot values copied now (getWeights' tensors are read synchronously). */
export function captureOptimizer(optimizer: tf.Optimizer): {
  className: string;
  iterations: number;
  slots: TensorRecord[];
  extras: TensorRecord[];
} {
  const slots = slotVariables(optimizer).map(([name, v], i) => recordOf(`${i}:${name}`, v));
  const extras = extraVariables(optimizer).map(([key, v]) => recordOf(key, v));
  return { className: classNameOf(optimizer), iterations: optimizer.iterations, slots, extras };
}

/** Stages the optimizer's state at `path` (a tensor file), copied at the moment of the call. */
export function saveOptimizer(path: string, optimizer: tf.Optimizer): Promise<void> {
  const { className, iterations, slots, extras } = captureOptimizer(optimizer);
  return stageTensorFile(path, {
    kind: KIND,
    meta: { className, iterations, slotCount: slots.length, extras: extras.map((e) => e.name) },
    tensors: [...slots, ...extras],
  });
}

/**
 * Restores a state saved by {@link saveOptimizer} into `optimizer`, a freshly created optimizer of the
 * same class and settings.
 * @throws TypeError naming the file when it holds another optimizer class or other variables.
 */
export async function loadOptimizer(path: string, optimizer: tf.Optimizer): Promise<void> {
  const { meta, tensors } = await readTensorFile(path, KIND);
  const className = classNameOf(optimizer);
  if (meta.className !== className) {
    throw new TypeError(`${path}: holds the state of a ${String(meta.className)} optimizer, not of a ${className}`);
  }
  const slotCount = meta.slotCount;
  const iterations = meta.iterations;
  if (
    typeof slotCount !== 'number' ||
    typeof iterations !== 'number' ||
    !Number.isInteger(iterations) ||
    iterations < 0
  ) {
    throw new TypeError(`${path}: no valid slot count and iteration count`);
  }
  const slots = tensors.slice(0, slotCount);
  const extras = tensors.slice(slotCount);
  const own = new Map(extraVariables(optimizer));
  for (const e of extras) {
    const v = own.get(e.name);
    if (!v || !sameShape(v.shape, e.shape) || v.dtype !== e.dtype) {
      throw new TypeError(`${path}: the optimizer has no variable '${e.name}' of shape [${e.shape}]`);
    }
  }
  // getWeights()/setWeights() order: the iteration count first, then the slots.
  const values: { name: string; tensor: tf.Tensor }[] = [
    { name: 'iter', tensor: tf.scalar(iterations, 'int32') },
    ...slots.map((s) => ({ name: s.name.slice(s.name.indexOf(':') + 1), tensor: tensorOf(s) })),
  ];
  try {
    await optimizer.setWeights(values);
  } finally {
    tf.dispose(values.map((v) => v.tensor));
  }
  tf.tidy(() => {
    for (const e of extras) own.get(e.name)!.assign(tensorOf(e));
  });
}

function classNameOf(optimizer: tf.Optimizer): string {
  return (optimizer.constructor as unknown as { className?: string }).className ?? optimizer.getClassName();
}

/** `[originalName, variable]` of the slots, in getWeights() order (without the iteration count). */
function slotVariables(optimizer: tf.Optimizer): [string, tf.Variable][] {
  const o = optimizer as unknown as Record<string, unknown>;
  const out: [string, tf.Variable][] = [];
  // Every tfjs optimizer keeps its slots in arrays of { originalName, variable } (see their getWeights).
  for (const key of SLOT_FIELDS[classNameOf(optimizer)] ?? []) {
    const list = o[key];
    if (!Array.isArray(list)) continue;
    for (const item of list as { originalName: string; variable: tf.Variable }[]) {
      out.push([item.originalName, item.variable]);
    }
  }
  return out;
}

/**
 * Slot arrays per optimizer class, in the order of each class's getWeights(). Read synchronously
 * (getWeights() itself is async, and a save must copy the values at the moment it is captured).
 */
const SLOT_FIELDS: Record<string, string[]> = {
  SGD: [],
  Momentum: ['accumulations'],
  Adagrad: ['accumulatedGrads'],
  Adadelta: ['accumulatedGrads', 'accumulatedUpdates'],
  Adam: ['accumulatedFirstMoment', 'accumulatedSecondMoment'],
  RMSProp: ['accumulatedMeanSquares', 'accumulatedMoments', 'accumulatedMeanGrads'],
};

/** Own properties of the optimizer holding a single tf.Variable, by property name. */
function extraVariables(optimizer: tf.Optimizer): [string, tf.Variable][] {
  return Object.entries(optimizer as unknown as Record<string, unknown>)
    .filter((e): e is [string, tf.Variable] => e[1] instanceof tf.Variable)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** @throws TypeError for an optimizer class whose slots are not known. */
export function checkSupported(optimizer: tf.Optimizer): void {
  const name = classNameOf(optimizer);
  if (!(name in SLOT_FIELDS)) {
    throw new TypeError(
      `Saving the state of a ${name} optimizer is not supported (known: ${Object.keys(SLOT_FIELDS).join(', ')})`,
    );
  }
}
