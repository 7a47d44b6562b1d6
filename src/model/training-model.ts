import type { PersistentState } from '../state/persistent.js';
import type { InferenceModel } from './inference-model.js';

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

  /** {@link syncImpl} into the inference model, unless there is none or the model is inference-thread-only. */
  sync(): void | Promise<void> {
    if (this.hasInferenceModel && !this.inferenceThreadOnly) return this.syncImpl(this.inferenceModel);
  }

  saveState(_path: string): void | Promise<void> {}
  loadState(_path: string): void | Promise<void> {}
}
