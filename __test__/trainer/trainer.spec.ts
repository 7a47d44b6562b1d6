import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataUsersDict, KeyError, SequentialBuffer } from '../../src/data/index.js';
import { InferenceModel, TrainingModel, TrainingModelsDict } from '../../src/model/index.js';
import { TimeController, setGlobalTimeController } from '../../src/time/index.js';
import { Trainer, TrainersDict, type TrainerOptions } from '../../src/trainer/index.js';
import { readMsgpack } from '../../src/persistence/component-files.js';
import { tmpDir } from '../helpers/tmp.js';

class NullInference extends InferenceModel {
  infer() {
    return null;
  }
}

class CountingModel extends TrainingModel<NullInference> {
  syncs = 0;
  protected createInferenceModel() {
    return new NullInference();
  }
  forward() {
    return null;
  }
  syncImpl() {
    this.syncs++;
  }
}

class RecordingTrainer extends Trainer {
  events: string[] = [];
  constructor(options?: TrainerOptions) {
    super(options);
  }
  override onTrainingModelsAttached() {
    this.events.push('models attached');
  }
  override onDataUsersAttached() {
    this.events.push('data users attached');
  }
  override setup() {
    this.events.push('setup');
  }
  async train() {
    await new Promise((r) => setTimeout(r, 1));
    this.events.push('train');
  }
  override async syncModels() {
    this.events.push('sync');
    await super.syncModels();
  }
  override teardown() {
    this.events.push('teardown');
  }
  override onPaused() {
    this.events.push('paused');
  }
  override onResumed() {
    this.events.push('resumed');
  }
  get previous() {
    return this.previousTrainingTime;
  }
}

function frozenClock(t: { teardown(fn: () => void): void }) {
  const clock = new TimeController();
  clock.pause();
  const previous = setGlobalTimeController(clock);
  t.teardown(() => setGlobalTimeController(previous));
  return (time: number) => clock.loadStateDict({ time, perfCounter: time, monotonic: time });
}

function wired(options?: TrainerOptions) {
  const models = new TrainingModelsDict({
    m: new CountingModel(),
    only: new CountingModel({ inferenceThreadOnly: true }),
  });
  const users = DataUsersDict.fromDataBuffers({ buf: new SequentialBuffer<number>(1000) });
  const trainer = new RecordingTrainer(options);
  trainer.attachTrainingModels(models);
  trainer.attachDataUsers(users);
  return { models, users, trainer };
}

test('attaching models and data users calls their hooks', (t) => {
  const { trainer } = wired();
  t.deepEqual(trainer.events, ['models attached', 'data users attached']);
});

test('getTrainingModel and getDataUser return what is attached and throw KeyError otherwise', (t) => {
  const { trainer, models, users } = wired();
  t.true(trainer.getTrainingModel('m') === models.get('m'));
  t.true(trainer.getDataUser('buf') === users.get('buf'));
  t.throws(() => trainer.getTrainingModel('nope'), { instanceOf: KeyError });
  t.throws(() => trainer.getTrainingModel('only'), { instanceOf: KeyError, message: /inference thread only/ });
  t.throws(() => trainer.getDataUser('nope'), { instanceOf: KeyError });
});

test('run goes setup → train → sync → teardown and syncs the models it fetched', async (t) => {
  const { trainer, models } = wired();
  trainer.getTrainingModel('m');
  trainer.events = [];
  t.true(await trainer.run());
  t.deepEqual(trainer.events, ['setup', 'train', 'sync', 'teardown']);
  t.is((models.get('m') as CountingModel).syncs, 1);
});

test('teardown runs even when training throws', async (t) => {
  const { trainer } = wired();
  trainer.train = async () => {
    throw new Error('training failed');
  };
  trainer.events = [];
  await t.throwsAsync(async () => trainer.run(), { message: 'training failed' });
  t.deepEqual(trainer.events, ['setup', 'teardown']);
});

test.serial('trainability depends on the buffer size and the data collected since the last training', (t) => {
  const at = frozenClock(t);
  const { trainer, users } = wired({ trainingConditionDataUser: 'buf', minBufferSize: 50, minNewDataCount: 10 });
  const collector = users.get('buf')!.collector;

  at(900);
  for (let i = 0; i < 30; i++) collector.collect(i);
  t.false(trainer.isTrainable(), '30 items are fewer than 50');

  for (let i = 0; i < 70; i++) collector.collect(i);
  t.true(trainer.isTrainable(), '100 items, 100 new since -inf');
  at(1000);
  t.is(trainer.previous, 900);

  t.false(trainer.isTrainable(), 'nothing new since 900');
  at(1000);
  for (let i = 0; i < 3; i++) collector.collect(i);
  t.false(trainer.isTrainable(), 'only 3 new');
  for (let i = 0; i < 7; i++) collector.collect(i);
  t.true(trainer.isTrainable(), '10 new since 900');
  t.is(trainer.previous, 1000);
});

test('run returns false and does nothing when not trainable', async (t) => {
  const { trainer } = wired({ trainingConditionDataUser: 'buf', minBufferSize: 1 });
  trainer.events = [];
  t.false(await trainer.run());
  t.deepEqual(trainer.events, []);
});

test('a trainer saves previous_training_time.msgpack (-Infinity at first) and loads it', async (t) => {
  const dir = tmpDir(t);
  const { trainer } = wired();
  await trainer.saveState(join(dir, 't'));
  t.is(await readMsgpack<number>(join(dir, 't', 'previous_training_time.msgpack')), -Infinity);
  (trainer as unknown as { previousTrainingTime: number }).previousTrainingTime = 1234.5;
  await trainer.saveState(join(dir, 't2'));
  const other = wired().trainer;
  await other.loadState(join(dir, 't2'));
  t.is(other.previous, 1234.5);
});

test('a trainers dict attaches, pauses, resumes, saves and loads every trainer in order', async (t) => {
  const dir = tmpDir(t);
  const a = new RecordingTrainer();
  const b = new RecordingTrainer();
  const trainers = new TrainersDict({ a, b });
  const { models, users } = wired();
  trainers.attachTrainingModels(models);
  trainers.attachDataUsers(users);
  await trainers.onPaused();
  await trainers.onResumed();
  for (const tr of [a, b]) t.deepEqual(tr.events, ['models attached', 'data users attached', 'paused', 'resumed']);
  await trainers.saveState(join(dir, 'trainers'));
  t.true(existsSync(join(dir, 'trainers', 'a', 'previous_training_time.msgpack')));
  t.true(existsSync(join(dir, 'trainers', 'b', 'previous_training_time.msgpack')));
  const loaded = new TrainersDict({ a: new RecordingTrainer(), b: new RecordingTrainer() });
  await loaded.loadState(join(dir, 'trainers'));
  t.is((loaded.get('a') as RecordingTrainer).previous, -Infinity);
});
