import { readMsgpack, stageMsgpack } from '../persistence/component-files.js';
import { InferenceModel } from './inference-model.js';
import { TrainingModel, type ParameterSet, type TrainingModelOptions } from './training-model.js';

/** Parameters of a linear model: `y = weights · x + bias[0]`. */
export interface LinearParams {
  weights: Float32Array;
  bias: Float32Array;
}

function predict(params: LinearParams, x: ArrayLike<number>): number {
  const w = params.weights;
  if (x.length !== w.length) throw new RangeError(`expected an input of length ${w.length}, got ${x.length}`);
  let y = params.bias[0]!;
  for (let i = 0; i < w.length; i++) y += w[i]! * x[i]!;
  return y;
}

/** The inference side of {@link LinearModel}. */
export class LinearInferenceModel extends InferenceModel<[ArrayLike<number>], number> {
  constructor(readonly params: LinearParams) {
    super();
  }

  /** @throws RangeError when `x` has the wrong length. */
  infer(x: ArrayLike<number>): number {
    return predict(this.params, x);
  }
}

export interface LinearModelOptions extends TrainingModelOptions {
  /** SGD step size (default 0.01). */
  learningRate?: number;
}

/**
 * A linear regressor trained online by SGD on the squared error — the library's example of a model
 * whose parameters live in typed arrays; wrapping another ML library follows the same pattern
 * (`createInferenceModel`, `syncImpl`, and save/load of the parameters).
 *
 * State: `${path}.msgpack` = `{ inputSize, weights, bias }` as Float32Arrays, copied when the save is
 * captured (they keep changing while training continues).
 */
export class LinearModel extends TrainingModel<LinearInferenceModel> {
  readonly params: LinearParams;
  learningRate: number;

  /** @throws RangeError unless `inputSize` is a positive integer. */
  constructor(
    readonly inputSize: number,
    options: LinearModelOptions = {},
  ) {
    super(options);
    if (!Number.isInteger(inputSize) || inputSize <= 0) {
      throw new RangeError(`inputSize must be a positive integer, got ${inputSize}`);
    }
    this.params = { weights: new Float32Array(inputSize), bias: new Float32Array(1) };
    this.learningRate = options.learningRate ?? 0.01;
  }

  protected createInferenceModel(): LinearInferenceModel {
    // An inference-thread-only model is never synced, so it must see these very parameters.
    if (this.inferenceThreadOnly) return new LinearInferenceModel(this.params);
    return new LinearInferenceModel({ weights: this.params.weights.slice(), bias: this.params.bias.slice() });
  }

  /** @throws RangeError when `x` has the wrong length. */
  forward(x: ArrayLike<number>): number {
    return predict(this.params, x);
  }

  /** One SGD step towards `y`; returns the squared error before the step. */
  trainStep(x: ArrayLike<number>, y: number): number {
    const error = this.forward(x) - y;
    const step = 2 * this.learningRate * error;
    const w = this.params.weights;
    for (let i = 0; i < w.length; i++) w[i]! -= step * x[i]!;
    this.params.bias[0]! -= step;
    return error * error;
  }

  syncImpl(inferenceModel: LinearInferenceModel): void {
    inferenceModel.params.weights.set(this.params.weights);
    inferenceModel.params.bias.set(this.params.bias);
  }

  /** `{ weights, bias }`: live views of the parameters. */
  override exportParameters(): ParameterSet {
    return { weights: this.params.weights, bias: this.params.bias };
  }

  /** @throws TypeError when `weights` or `bias` is missing, not a Float32Array, or of another length. */
  override importParameters(inferenceModel: LinearInferenceModel, params: ParameterSet): void {
    for (const name of ['weights', 'bias'] as const) {
      const value = params[name];
      const target = inferenceModel.params[name];
      if (!(value instanceof Float32Array) || value.length !== target.length) {
        throw new TypeError(
          `LinearModel.importParameters: '${name}' must be a Float32Array of length ${target.length}`,
        );
      }
      target.set(value);
    }
  }

  override saveState(path: string): void | Promise<void> {
    return (async () => {
      await stageMsgpack(`${path}.msgpack`, {
        inputSize: this.inputSize,
        weights: this.params.weights.slice(),
        bias: this.params.bias.slice(),
      });
    })();
  }

  /** @throws TypeError when the file does not hold parameters of this model's shape. */
  override loadState(path: string): void | Promise<void> {
    return (async () => {
      const file = `${path}.msgpack`;
      const saved = await readMsgpack<Partial<Record<keyof LinearParams, unknown>>>(file);
      const { weights, bias } = saved ?? {};
      if (!(weights instanceof Float32Array) || !(bias instanceof Float32Array) || bias.length !== 1) {
        throw new TypeError(`${file}: not the parameters of a LinearModel`);
      }
      if (weights.length !== this.inputSize) {
        throw new TypeError(`${file}: saved inputSize ${weights.length} differs from this model's ${this.inputSize}`);
      }
      this.params.weights.set(weights);
      this.params.bias.set(bias);
    })();
  }
}
