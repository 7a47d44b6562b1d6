import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  DataUsersDict,
  DictRandomReplacementBuffer,
  RandomReplacementBuffer,
  SequentialBuffer,
} from '../../src/data/index.js';
import { LinearModel, TrainingModelsDict } from '../../src/model/index.js';
import { StateStore } from '../../src/state/store.js';
import { TimeController } from '../../src/time/index.js';
import { tmpDir } from '../helpers/tmp.js';

function components() {
  const users = DataUsersDict.fromDataBuffers({
    seq: new SequentialBuffer<Float32Array>(4),
    rr: new RandomReplacementBuffer<number>(3, { random: () => 0 }),
    dict: new DictRandomReplacementBuffer<unknown>(['obs', 'reward'], 3),
  });
  const models = new TrainingModelsDict({ lin: new LinearModel(2) });
  return { users, models };
}

test('what the capture saw is what gets written, even when everything changes before the commit', async (t) => {
  const dir = tmpDir(t);
  const { users, models } = components();
  const clock = new TimeController();
  const store = new StateStore({ statesDir: dir });
  store.register('models', models);
  store.register('data', users);
  store.register('time', clock);

  const seq = users.get('seq')!;
  const rr = users.get('rr')!;
  const dict = users.get('dict')!;
  for (let i = 0; i < 3; i++) seq.collector.collect(new Float32Array([i, i]));
  seq.update();
  seq.collector.collect(new Float32Array([9, 9])); // still queued at the capture
  for (const x of [1, 2, 3]) rr.collector.collect(x);
  rr.update();
  dict.collector.collect({ obs: 'a', reward: 1 });
  dict.update();
  const lin = models.get('lin') as LinearModel;
  lin.params.weights.set([0.5, -1]);

  clock.pause();
  const pending = await store.capture();
  clock.resume();
  const capturedTime = clock.stateDict().time;

  // The loops run on while the files are written.
  seq.update();
  for (let i = 10; i < 14; i++) seq.collector.collect(new Float32Array([i, i]));
  seq.update();
  for (const x of [4, 5, 6]) rr.collector.collect(x);
  rr.update();
  lin.params.weights.set([100, 100]);
  const path = await pending.commit();
  t.true(existsSync(join(path, 'data', 'seq', 'buffer.msgpack')));
  t.true(existsSync(join(path, 'data', 'seq', 'pending.msgpack')));
  t.true(existsSync(join(path, 'models', 'lin.msgpack')));
  t.true(existsSync(join(path, 'time.msgpack')));

  const fresh = components();
  const freshClock = new TimeController();
  const loader = new StateStore({ statesDir: dir });
  loader.register('models', fresh.models);
  loader.register('data', fresh.users);
  loader.register('time', freshClock);
  await loader.loadState(path);

  t.deepEqual(
    fresh.users.get('seq')!.buffer.getData(),
    [0, 1, 2].map((i) => new Float32Array([i, i])),
  );
  t.deepEqual(
    fresh.users.get('seq')!.getData(),
    [0, 1, 2, 9].map((i) => new Float32Array([i, i])),
  );
  t.deepEqual(fresh.users.get('rr')!.getData(), [1, 2, 3]);
  t.deepEqual(fresh.users.get('dict')!.getData(), { obs: ['a'], reward: [1] });
  const freshLin = fresh.models.get('lin') as LinearModel;
  t.deepEqual(Array.from(freshLin.params.weights), [0.5, -1]);
  t.deepEqual(Array.from(freshLin.inferenceModel.params.weights), [0.5, -1], 'synced at load');
  t.true(Math.abs(freshClock.time() - capturedTime) < 1);
});
