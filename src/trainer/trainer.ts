import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PersistentState } from '../persistence/persistent.js';
import { readMsgpack, stageMsgpack } from '../persistence/component-files.js';
import { KeyError } from '../data/key-error.js';
import type { DataUser } from '../data/user.js';
import type { DataUsersDict } from '../data/users-dict.js';
import type { TrainingModel } from '../model/training-model.js';
import type { TrainingModelsDict } from '../model/training-models-dict.js';
import { time } from '../time/global.js';

export interface TrainerOptions {
  /** Name of the data user whose buffer gates training; none = always trainable. */
  trainingConditionDataUser?: string;
  /** Items the condition user's buffer must hold (default 0). */
  minBufferSize?: number;
  /** Items collected since the previous training the condition user must have received (default 0). */
  minNewDataCount?: number;
}

/**
 * Trains some of the training models from some of the data users. The training thread calls
 * {@link run} repeatedly; it trains only when {@link isTrainable}.
 *
 * State: `path/previous_training_time.msgpack` (a float64, `-Infinity` before the first training).
 */
export abstract class Trainer implements PersistentState {
  readonly trainingConditionDataUser: string | undefined;
  readonly minBufferSize: number;
  readonly minNewDataCount: number;
  /** Pamiq time of the last check that allowed training. */
  protected previousTrainingTime = -Infinity;
  private trainingModels: TrainingModelsDict | undefined;
  private dataUsers: DataUsersDict | undefined;
  private readonly retrievedModelNames = new Set<string>();

  constructor(options: TrainerOptions = {}) {
    this.trainingConditionDataUser = options.trainingConditionDataUser;
    this.minBufferSize = options.minBufferSize ?? 0;
    this.minNewDataCount = options.minNewDataCount ?? 0;
  }

  attachTrainingModels(models: TrainingModelsDict): void {
    this.trainingModels = models;
    this.onTrainingModelsAttached();
  }

  /** Called after {@link attachTrainingModels}: fetch models here. */
  onTrainingModelsAttached(): void {}

  attachDataUsers(users: DataUsersDict): void {
    this.dataUsers = users;
    this.onDataUsersAttached();
  }

  /** Called after {@link attachDataUsers}: fetch data users here. */
  onDataUsersAttached(): void {}

  /**
   * The training model `name`; it will be synced after every training.
   * @throws Error when no models are attached; KeyError when there is no such model or it is
   *   inference-thread-only.
   */
  getTrainingModel<M extends TrainingModel<any> = TrainingModel<any>>(name: string): M {
    if (this.trainingModels === undefined) throw new Error('No training models are attached.');
    const model = this.trainingModels.get(name);
    if (model === undefined) throw new KeyError(`Training model '${name}' not found.`, name);
    this.retrievedModelNames.add(name);
    return model as M;
  }

  /**
   * The data user `name`.
   * @throws Error when no data users are attached; KeyError when there is no such user.
   */
  getDataUser<R = unknown>(name: string): DataUser<R> {
    if (this.dataUsers === undefined) throw new Error('No data users are attached.');
    const user = this.dataUsers.get(name);
    if (user === undefined) throw new KeyError(`Data user '${name}' not found.`, name);
    return user as DataUser<R>;
  }

  /**
   * True when there is no condition user, or when its buffer holds at least `minBufferSize` items and
   * at least `minNewDataCount` of them were collected after the previous training. A true result
   * stamps the previous training time now — before training, so that data collected while training
   * runs counts as new next time.
   */
  isTrainable(): boolean {
    if (this.trainingConditionDataUser === undefined) return true;
    const user = this.getDataUser(this.trainingConditionDataUser);
    user.update();
    const trainable =
      user.length >= this.minBufferSize && user.countDataAddedSince(this.previousTrainingTime) >= this.minNewDataCount;
    if (trainable) this.previousTrainingTime = time();
    return trainable;
  }

  setup(): void | Promise<void> {}
  abstract train(): void | Promise<void>;
  teardown(): void | Promise<void> {}

  /** Syncs every model fetched through {@link getTrainingModel}. */
  syncModels(): void | Promise<void> {
    return (async () => {
      for (const name of this.retrievedModelNames) await this.trainingModels!.get(name)!.sync();
    })();
  }

  /**
   * When trainable: setup → train → syncModels → teardown, and true. Otherwise false. Teardown runs
   * even when training throws (the error propagates; models are not synced then).
   */
  async run(): Promise<boolean> {
    if (!(await this.isTrainable())) return false;
    await this.setup();
    try {
      await this.train();
      await this.syncModels();
    } finally {
      await this.teardown();
    }
    return true;
  }

  onPaused(): void | Promise<void> {}
  onResumed(): void | Promise<void> {}

  saveState(path: string): void | Promise<void> {
    return (async () => {
      mkdirSync(path, { recursive: true });
      await stageMsgpack(join(path, 'previous_training_time.msgpack'), this.previousTrainingTime);
    })();
  }

  /** @throws TypeError when the saved value is not a number. */
  loadState(path: string): void | Promise<void> {
    return (async () => {
      const file = join(path, 'previous_training_time.msgpack');
      const value = await readMsgpack<unknown>(file);
      if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`${file}: expected a number`);
      this.previousTrainingTime = value;
    })();
  }
}
