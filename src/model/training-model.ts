import type { PersistentState } from '../persistence/persistent.js';
import type { InferenceModel } from './inference-model.js';

/** Any typed array a model's parameters may be held in. */
export type ParameterArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Uint8ClampedArray
  | BigInt64Array
  | BigUint64Array;

/** A model's parameters by name, as published from the training side to the inference side. */
export type ParameterSet = Record<string, ParameterArray>;

/** The same as {@link ParameterSet}. */
export type Parameters = ParameterSet;

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

  /**
   * Optional, for running trainers in a worker thread: the current parameters, called on the training
   * side after each training run. Names and lengths must stay the same for the model's whole life; the
   * arrays may be live views of the parameters (the caller copies them at once).
   */
  exportParameters?(): ParameterSet;

  /**
   * Optional, the counterpart of {@link exportParameters}: called on the main thread between agent
   * steps with the newest complete set published by the training side. The arrays are valid only
   * during the call: copy them into `inferenceModel` (or build new tensors from them).
   * @throws TypeError when a parameter is missing or has another length (implementations).
   */
  importParameters?(inferenceModel: I, params: ParameterSet): void;

  saveState(_path: string): void | Promise<void> {}
  loadState(_path: string): void | Promise<void> {}
}
