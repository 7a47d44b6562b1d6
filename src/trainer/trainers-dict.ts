import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PersistentState } from '../persistence/persistent.js';
import { namedEntries, type Named } from '../data/named.js';
import type { DataUsersDict } from '../data/users-dict.js';
import type { TrainingModelsDict } from '../model/training-models-dict.js';
import type { Trainer } from './trainer.js';

/** The trainers by name, in insertion order (the training thread's round-robin order). State: `path/<name>`. */
export class TrainersDict extends Map<string, Trainer> implements PersistentState {
  constructor(trainers?: Named<Trainer>) {
    super();
    for (const [name, trainer] of namedEntries(trainers)) this.set(name, trainer);
  }

  attachTrainingModels(models: TrainingModelsDict): void {
    for (const trainer of this.values()) trainer.attachTrainingModels(models);
  }

  attachDataUsers(users: DataUsersDict): void {
    for (const trainer of this.values()) trainer.attachDataUsers(users);
  }

  async onPaused(): Promise<void> {
    for (const trainer of this.values()) await trainer.onPaused();
  }

  async onResumed(): Promise<void> {
    for (const trainer of this.values()) await trainer.onResumed();
  }

  async saveState(path: string): Promise<void> {
    mkdirSync(path, { recursive: true });
    for (const [name, trainer] of this) await trainer.saveState(join(path, name));
  }

  async loadState(path: string): Promise<void> {
    for (const [name, trainer] of this) await trainer.loadState(join(path, name));
  }
}
