/**
 * The inference-thread side of a model: what agents call. Its parameters are updated only through
 * {@link TrainingModel.sync}.
 */
export abstract class InferenceModel<A extends unknown[] = any[], R = unknown> {
  abstract infer(...args: A): R;
}
