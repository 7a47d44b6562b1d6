import type { PersistentState } from '../state/persistent.js';
import type { InferenceModel } from './inference-model.js';

/** A typed array that can hold model parameters. */
export type ParameterArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array;

/** Named parameter arrays; names and lengths stay fixed for a model's life. */
export type Parameters = Record<string, ParameterArray>;

export interface TrainingModelOptions {
  /** Whether the model has an inference counterpart (default true). */
  hasInferenceModel?: boolean;
  /** The model is used by the inference thread only: never trained, never synced (default false). */
  inferenceThreadOnly?: boolean;
}

/**
 * The training-thread side of a model. Trainers update it with {@link forward} and friends; then
 * {@link sync} copies the parameters to its {@link inferenceModel}, which agents use concurrently.
 */
export abstract class TrainingModel<I extends InferenceModel = InferenceModel> implements PersistentState {
  readonly hasInferenceModel: boolean;
  readonly inferenceThreadOnly: boolean;
  #inferenceModel: I | undefined;
  #publisher: (() => void) | undefined;

  /** @throws TypeError for `hasInferenceModel: false` with `inferenceThreadOnly: true`. */
  constructor(options: TrainingModelOptions = {}) {
    const { hasInferenceModel = true, inferenceThreadOnly = false } = options;
    if (!hasInferenceModel && inferenceThreadOnly) {
      throw new TypeError('A model without an inference model cannot be inference-thread-only.');
    }
    this.hasInferenceModel = hasInferenceModel;
    this.inferenceThreadOnly = inferenceThreadOnly;
  }

  /**
   * The inference counterpart, created by {@link createInferenceModel} on first access.
   * @throws Error when the model has no inference model.
   */
  get inferenceModel(): I {
    if (!this.hasInferenceModel) {
      throw new Error(`${this.constructor.name} has no inference model.`);
    }
    this.#inferenceModel ??= this.createInferenceModel();
    return this.#inferenceModel;
  }

  protected abstract createInferenceModel(): I;

  abstract forward(...args: any[]): unknown;

  /** Copies the parameters of this model into `inferenceModel`. */
  abstract syncImpl(inferenceModel: I): void | Promise<void>;

  /**
   * The current parameters of this (training) model, for a training worker to publish to the
   * inference model on the main thread. Names and lengths must stay the same for the model's life;
   * the arrays may be live views (they are copied at once). Needed only for models trained in a
   * worker thread; {@link importParameters} is its counterpart.
   */
  exportParameters?(): Parameters;

  /**
   * Applies parameters published by {@link exportParameters} (in another thread) to `inferenceModel`.
   * Called on the main thread between agent steps with the newest complete set; the arrays are valid
   * only during the call, so copy them.
   */
  importParameters?(inferenceModel: I, params: Parameters): void;

  /**
   * {@link syncImpl} into the inference model, unless there is none or the model is
   * inference-thread-only. In a training worker, publishes {@link exportParameters} to the main
   * thread instead.
   */
  sync(): void | Promise<void> {
    if (!this.hasInferenceModel || this.inferenceThreadOnly) return;
    if (this.#publisher) return this.#publisher();
    return this.syncImpl(this.inferenceModel);
  }

  /**
   * Routes {@link sync} to `publish` (the training worker's parameter channel).
   * @internal used by the worker runtime.
   */
  setParameterPublisher(publish: (() => void) | undefined): void {
    this.#publisher = publish;
  }

  saveState(_path: string): void | Promise<void> {}
  loadState(_path: string): void | Promise<void> {}
}
