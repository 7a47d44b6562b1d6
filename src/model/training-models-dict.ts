import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PersistentState } from '../persistence/persistent.js';
import { KeyError } from '../data/key-error.js';
import { namedEntries, type Named } from '../data/named.js';
import { InferenceModelsDict } from './inference-models-dict.js';
import type { TrainingModel } from './training-model.js';

/**
 * The training models by name, as trainers see them. Adding a model with an inference model creates
 * it and registers it in {@link inferenceModelsDict} under the same name.
 * State: `path/<name>` per model (inference-thread-only ones included); loading syncs each model.
 */
export class TrainingModelsDict extends Map<string, TrainingModel<any>> implements PersistentState {
  readonly inferenceModelsDict = new InferenceModelsDict();
  readonly #withInference: boolean;

  /**
   * @param options.inference create and register the inference models (default true; a training
   *   worker, whose inference models live on the main thread, passes false).
   */
  constructor(models?: Named<TrainingModel<any>>, options: { inference?: boolean } = {}) {
    super();
    this.#withInference = options.inference ?? true;
    for (const [name, model] of namedEntries(models)) this.set(name, model);
  }

  override set(name: string, model: TrainingModel<any>): this {
    super.set(name, model);
    if (model.hasInferenceModel && this.#withInference) this.inferenceModelsDict.set(name, model.inferenceModel);
    return this;
  }

  override delete(name: string): boolean {
    this.inferenceModelsDict.delete(name);
    return super.delete(name);
  }

  /**
   * The model `name`, or undefined when there is none.
   * @throws KeyError ("model 'x' is inference thread only.") for an inference-thread-only model:
   *   trainers must not reach it.
   */
  override get(name: string): TrainingModel<any> | undefined {
    const model = super.get(name);
    if (model?.inferenceThreadOnly) throw new KeyError(`model '${name}' is inference thread only.`, name);
    return model;
  }

  async saveState(path: string): Promise<void> {
    mkdirSync(path, { recursive: true });
    for (const [name, model] of this) await model.saveState(join(path, name));
  }

  async loadState(path: string): Promise<void> {
    for (const [name, model] of this) {
      await model.loadState(join(path, name));
      await model.sync();
    }
  }
}
