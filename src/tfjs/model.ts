/**
 * TensorFlow.js models: a {@link TfjsModel} (training side) wraps a `tf.LayersModel` built by a user
 * factory; its {@link TfjsInferenceModel} wraps a second instance of the same architecture that agents
 * use. Parameters cross from one to the other by value — `syncImpl` in one thread, or
 * `exportParameters`/`importParameters` when trainers run in a worker — never through `model.save`.
 */
import * as tf from '@tensorflow/tfjs';
import { InferenceModel } from '../model/inference-model.js';
import { TrainingModel, type ParameterSet, type TrainingModelOptions } from '../model/training-model.js';
import { readTensorFile, stageTensorFile } from './tensor-file.js';
import { recordOf, sameShape } from './tensors.js';

/** Builds a fresh, uncompiled model; called once per side (training and inference). */
export type LayersModelFactory = () => tf.LayersModel;

/** What {@link TfjsInferenceModel.infer} accepts: a tensor, or values tfjs turns into one. */
export type TfjsInput = tf.Tensor | tf.TensorLike;

/**
 * The inference side: `infer` runs the model on one input batch inside `tf.tidy` and returns the values
 * of its (first) output as a new Float32Array, so callers never own tensors.
 */
export class TfjsInferenceModel extends InferenceModel<[TfjsInput], Float32Array> {
  constructor(readonly model: tf.LayersModel) {
    super();
    model.trainable = false;
  }

  /** @throws Error (from tfjs) when the input does not fit the model's input shape. */
  infer(input: TfjsInput): Float32Array {
    return tf
      .tidy(() => {
        const x = input instanceof tf.Tensor ? input : tf.tensor(input as tf.TensorLike);
        const y = this.model.predict(x);
        const out = Array.isArray(y) ? y[0]! : y;
        return out.dataSync() as Float32Array;
      })
      .slice();
  }

  /** Runs the model; the caller owns (and must dispose) the returned tensor(s). */
  predict(input: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    return this.model.predict(input);
  }
}

export interface TfjsModelOptions extends TrainingModelOptions {
  /** Builds the architecture (with its initializers); called for the training and the inference side. */
  build: LayersModelFactory;
}

const KIND = 'TfjsModel';

/**
 * The training side of a tfjs model. The LayersModel is built on first use of {@link model}, so a
 * process that only runs inference (the main thread when trainers run in a worker) builds nothing but
 * the inference model.
 *
 * Parameters are the model's weights in `model.weights` order, published as `p0`, `p1`, … (the
 * automatic tfjs variable names differ between two builds of the same architecture, positions do not).
 *
 * State: `${path}.msgpack`, a tensor file (docs/engine.md's buffer-file layout) with the model topology
 * (`model.toJSON()`) in its meta and every weight's values, copied when the save is captured.
 */
export class TfjsModel extends TrainingModel<TfjsInferenceModel> {
  readonly build: LayersModelFactory;
  #model: tf.LayersModel | undefined;

  constructor(options: TfjsModelOptions) {
    super(options);
    if (typeof options?.build !== 'function')
      throw new TypeError('TfjsModel needs a build() function returning a tf.LayersModel');
    this.build = options.build;
  }

  /** The training LayersModel (built on first access). @throws TypeError when build() returns no LayersModel. */
  get model(): tf.LayersModel {
    this.#model ??= this.buildChecked();
    return this.#model;
  }

  /** The trainable variables, in weight order: the `varList` for an optimizer. */
  get trainableVariables(): tf.Variable[] {
    return this.model.trainableWeights.map((w) => w.read() as tf.Variable);
  }

  protected createInferenceModel(): TfjsInferenceModel {
    // An inference-thread-only model is never synced: agents use the training instance itself.
    if (this.inferenceThreadOnly) return new TfjsInferenceModel(this.model);
    const inference = new TfjsInferenceModel(this.buildChecked());
    if (this.#model) this.syncImpl(inference);
    return inference;
  }

  /** Runs the training model; the caller owns the result (use inside `tf.tidy`). */
  forward(input: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    return this.model.apply(input, { training: true }) as tf.Tensor | tf.Tensor[];
  }

  syncImpl(inferenceModel: TfjsInferenceModel): void {
    tf.tidy(() => inferenceModel.model.setWeights(this.model.getWeights()));
  }

  /** The weights' current values (`p0`, `p1`, … in `model.weights` order), read synchronously. */
  override exportParameters(): ParameterSet {
    const out: ParameterSet = {};
    this.model.weights.forEach((w, i) => {
      out[`p${i}`] = w.read().dataSync() as Float32Array;
    });
    return out;
  }

  /** @throws TypeError when a parameter is missing or its length differs from the weight's size. */
  override importParameters(inferenceModel: TfjsInferenceModel, params: ParameterSet): void {
    const weights = inferenceModel.model.weights;
    tf.tidy(() => {
      const values = weights.map((w, i) => {
        const v = params[`p${i}`];
        const size = w.shape.reduce((a: number, b) => a * (b ?? 1), 1);
        if (v === undefined || v.length !== size || typeof v[0] === 'bigint') {
          throw new TypeError(`TfjsModel.importParameters: 'p${i}' (${w.name}) must hold ${size} numbers`);
        }
        return tf.tensor(v as Float32Array, w.shape as number[], w.dtype);
      });
      inferenceModel.model.setWeights(values);
    });
  }

  override saveState(path: string): Promise<void> {
    const model = this.model;
    const tensors = model.weights.map((w, i) => recordOf(`p${i}`, w.read()));
    return stageTensorFile(`${path}.msgpack`, { kind: KIND, meta: { topology: model.toJSON(null, false) }, tensors });
  }

  /**
   * Sets the training model's weights from the file (the models dict syncs the inference side after).
   * @throws TypeError naming the file when it holds another number of weights or other shapes.
   */
  override async loadState(path: string): Promise<void> {
    const file = `${path}.msgpack`;
    const { tensors } = await readTensorFile(file, KIND);
    const weights = this.model.weights;
    if (tensors.length !== weights.length) {
      throw new TypeError(`${file}: holds ${tensors.length} weights, this model has ${weights.length}`);
    }
    tf.tidy(() => {
      const values = weights.map((w, i) => {
        const t = tensors[i]!;
        if (!sameShape(t.shape, w.shape as number[]) || t.dtype !== w.dtype) {
          throw new TypeError(
            `${file}: weight ${i} is ${t.dtype}[${t.shape}], this model's ${w.name} is ${w.dtype}[${w.shape}]`,
          );
        }
        return tf.tensor(t.values, t.shape, t.dtype);
      });
      this.model.setWeights(values);
    });
  }

  private buildChecked(): tf.LayersModel {
    const model = this.build();
    if (!(model instanceof tf.LayersModel)) throw new TypeError('TfjsModel: build() must return a tf.LayersModel');
    return model;
  }
}
