import type { DataCollector } from '../data/collector.js';
import type { DataCollectorsDict } from '../data/collectors-dict.js';
import { KeyError } from '../data/key-error.js';
import { namedEntries, type Named } from '../data/named.js';
import type { InferenceModel } from '../model/inference-model.js';
import type { InferenceModelsDict } from '../model/inference-models-dict.js';
import { forward, loadParts, saveParts, InteractionComponent } from './component.js';

/**
 * Decides an action from each observation. An agent may be composed of named child agents: models,
 * collectors, lifecycle events and persistence reach every child after the parent.
 *
 * State: with children, `path/<child>` per child (creating `path`); without, nothing is written.
 * Override {@link saveState}/{@link loadState} to add files — `await super.saveState(path)` first,
 * then `mkdirSync(path, { recursive: true })` and write under `path`.
 */
export abstract class Agent<Obs = any, Act = any> extends InteractionComponent {
  /** The child agents by name. */
  readonly agents: ReadonlyMap<string, Agent<any, any>>;
  private inferenceModels: InferenceModelsDict | undefined;
  private dataCollectors: DataCollectorsDict | undefined;

  constructor(agents?: Named<Agent<any, any>>) {
    super();
    this.agents = new Map(namedEntries(agents));
  }

  abstract step(observation: Obs): Act | Promise<Act>;

  attachInferenceModels(models: InferenceModelsDict): void {
    this.inferenceModels = models;
    this.onInferenceModelsAttached();
    for (const child of this.agents.values()) child.attachInferenceModels(models);
  }

  /** Called after {@link attachInferenceModels}, before the children's: fetch models here. */
  onInferenceModelsAttached(): void {}

  attachDataCollectors(collectors: DataCollectorsDict): void {
    this.dataCollectors = collectors;
    this.onDataCollectorsAttached();
    for (const child of this.agents.values()) child.attachDataCollectors(collectors);
  }

  /** Called after {@link attachDataCollectors}, before the children's: acquire collectors here. */
  onDataCollectorsAttached(): void {}

  /**
   * The inference model `name`.
   * @throws Error when no models are attached yet; KeyError when there is no such model.
   */
  getInferenceModel<M extends InferenceModel<any, any> = InferenceModel>(name: string): M {
    if (this.inferenceModels === undefined) throw new Error('No inference models are attached.');
    const model = this.inferenceModels.get(name);
    if (model === undefined) throw new KeyError(`Inference model '${name}' not found.`, name);
    return model as M;
  }

  /**
   * Acquires the data collector `name` (each collector can be acquired once).
   * @throws Error when no collectors are attached yet; KeyError when there is no such collector or it
   *   was already acquired.
   */
  getDataCollector<T = unknown>(name: string): DataCollector<T> {
    if (this.dataCollectors === undefined) throw new Error('No data collectors are attached.');
    return this.dataCollectors.acquire<T>(name);
  }

  override setup(): void | Promise<void> {
    return forward(this.agents.values(), 'setup');
  }

  override teardown(): void | Promise<void> {
    return forward(this.agents.values(), 'teardown');
  }

  override onPaused(): void | Promise<void> {
    return forward(this.agents.values(), 'onPaused');
  }

  override onResumed(): void | Promise<void> {
    return forward(this.agents.values(), 'onResumed');
  }

  override saveState(path: string): void | Promise<void> {
    return (async () => {
      if (this.agents.size > 0) await saveParts(path, this.agents);
    })();
  }

  override loadState(path: string): void | Promise<void> {
    return (async () => {
      if (this.agents.size > 0) await loadParts(path, this.agents);
    })();
  }
}
