/**
 * Wiring: connects an interaction, models, buffers and trainers the way launch() does, and registers
 * them in a StateStore under PAMIQ-Core's names — also useful on its own, to load a saved state into a
 * system in-process (evaluation, inspection) without running its loops.
 */
import type { DataBuffer } from '../data/buffer.js';
import type { Named } from '../data/named.js';
import { DataUsersDict } from '../data/users-dict.js';
import type { Interaction } from '../interaction/interaction.js';
import type { TrainingModel } from '../model/training-model.js';
import { TrainingModelsDict } from '../model/training-models-dict.js';
import { RandomSources } from '../random/component.js';
import type { PersistentState } from '../persistence/persistent.js';
import { StateStore, type StateStoreOptions } from '../state/store.js';
import { getGlobalTimeController } from '../time/index.js';
import type { Trainer } from '../trainer/trainer.js';
import { TrainersDict } from '../trainer/trainers-dict.js';

export interface SystemComponents {
  interaction: Interaction<any, any>;
  models?: Named<TrainingModel<any>>;
  buffers?: Named<DataBuffer<any, any>>;
  trainers?: Named<Trainer>;
}

export interface WiredSystem {
  models: TrainingModelsDict;
  dataUsers: DataUsersDict;
  trainers: TrainersDict;
  /** `interaction`, `models`, `data`, `trainers`, `time` and `random` registered, in that order. */
  store: StateStore;
}

/**
 * Attaches inference models and data collectors to the agent, training models and data users to the
 * trainers, and registers everything (with `clock`, the global time controller by default) in a new
 * StateStore.
 * @throws as StateStore's constructor for an invalid name format.
 */
export function wireSystem(
  components: SystemComponents,
  storeOptions: StateStoreOptions,
  clock: PersistentState = getGlobalTimeController(),
): WiredSystem {
  const models = new TrainingModelsDict(components.models);
  const dataUsers = DataUsersDict.fromDataBuffers(components.buffers);
  const trainers = new TrainersDict(components.trainers);
  components.interaction.agent.attachInferenceModels(models.inferenceModelsDict);
  components.interaction.agent.attachDataCollectors(dataUsers.dataCollectorsDict);
  trainers.attachTrainingModels(models);
  trainers.attachDataUsers(dataUsers);
  const store = new StateStore(storeOptions);
  store.register('interaction', components.interaction);
  store.register('models', models);
  store.register('data', dataUsers);
  store.register('trainers', trainers);
  store.register('time', clock);
  store.register('random', new RandomSources(), { optional: true });
  return { models, dataUsers, trainers, store };
}
