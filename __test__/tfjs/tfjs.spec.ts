import test from 'ava';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

// The tfjs specs need the optional peer dependency; it is a dev dependency, so they run in `npm test`.
const hasTfjs = await import('@tensorflow/tfjs').then(
  () => true,
  () => false,
);
const hasWasm =
  hasTfjs &&
  (await import('@tensorflow/tfjs-backend-wasm').then(
    () => true,
    () => false,
  ));
const tfTest = hasTfjs ? test.serial : test.skip;
const why = hasTfjs ? '' : ' [skipped: @tensorflow/tfjs is not installed]';

const tf = hasTfjs ? await import('@tensorflow/tfjs') : (undefined as never);
// Importing the wasm backend makes it the preferred one; the specs run on the CPU backend unless they say otherwise.
if (hasTfjs) await tf.setBackend('cpu');
const { TfjsModel } = hasTfjs ? await import('../../src/tfjs/index.js') : (undefined as never);
const { buildMlp, MlpTrainer, weightsOf, batchAt, INPUT } = hasTfjs
  ? await import('./fixture.js')
  : (undefined as never);
const { TrainingModelsDict } = await import('../../src/model/index.js');
const { TrainersDict } = await import('../../src/trainer/index.js');
const { StateStore } = await import('../../src/state/index.js');
const { tmpDir } = await import('../helpers/tmp.js');

function system(dir: string, build = () => buildMlp(1), optimizer?: () => import('@tensorflow/tfjs').Optimizer) {
  const model = new TfjsModel({ build });
  const models = new TrainingModelsDict({ mlp: model });
  const trainer = new MlpTrainer(optimizer);
  const trainers = new TrainersDict({ fit: trainer });
  trainers.attachTrainingModels(models);
  const store = new StateStore({ statesDir: dir });
  store.register('models', models);
  store.register('trainers', trainers);
  return { model, models, trainer, trainers, store };
}

async function runSteps(s: ReturnType<typeof system>, n: number) {
  for (let i = 0; i < n; i++) await s.trainer.run();
}

tfTest(
  `a TfjsModel trains, and its weights, topology and Adam state save and load through the store${why}`,
  async (t) => {
    const dir = tmpDir(t);
    const a = system(dir);
    await runSteps(a, 5);
    const first = a.trainer.lastLoss;
    await runSteps(a, 60);
    t.true(a.trainer.lastLoss < first, `loss went from ${first} to ${a.trainer.lastLoss}`);
    const state = await a.store.saveState();
    const files = readdirSync(state, { recursive: true }).map(String).sort();
    t.true(files.includes('models/mlp.msgpack'));
    t.true(files.includes(join('trainers', 'fit', 'optimizer.main.msgpack')));

    const b = system(tmpDir(t), () => buildMlp(2));
    t.notDeepEqual(weightsOf(b.model), weightsOf(a.model));
    await b.store.loadState(state);
    t.deepEqual(weightsOf(b.model), weightsOf(a.model));
    t.is(b.trainer.optimizer('main').iterations, 65);
    // The inference side was synced at load: it predicts what the training side computes.
    const x = batchAt(999).x.subarray(0, INPUT);
    const want = tf.tidy(
      () => (a.model.model.predict(tf.tensor2d(x, [1, INPUT])) as import('@tensorflow/tfjs').Tensor).dataSync()[0],
    );
    t.is(b.model.inferenceModel.infer(tf.tensor2d(x, [1, INPUT]))[0], want);
  },
);

tfTest(
  `training continued after a load matches the uninterrupted run bit for bit (Adam, SGD, momentum, RMSProp)${why}`,
  async (t) => {
    const optimizers: [string, () => import('@tensorflow/tfjs').Optimizer][] = [
      ['adam', () => tf.train.adam(0.01)],
      ['sgd', () => tf.train.sgd(0.05)],
      ['momentum', () => tf.train.momentum(0.02, 0.9)],
      ['rmsprop', () => tf.train.rmsprop(0.01, 0.9, 0.5, 1e-7, true)],
    ];
    for (const [label, optimizer] of optimizers) {
      const a = system(tmpDir(t), () => buildMlp(1), optimizer);
      // 41 steps: Adam's accumulated beta powers then differ from tfjs's pow() recomputation.
      await runSteps(a, 41);
      const state = await a.store.saveState();
      await runSteps(a, 23);
      const b = system(tmpDir(t), () => buildMlp(3), optimizer);
      await runSteps(b, 4); // the state it had before the load must not matter
      await b.store.loadState(state);
      await runSteps(b, 23);
      t.is(b.trainer.step, 64, label);
      t.deepEqual(Buffer.from(weightsOf(b.model).buffer), Buffer.from(weightsOf(a.model).buffer), label);
    }
  },
);

tfTest(`exportParameters/importParameters carry the weights to an inference model built elsewhere${why}`, async (t) => {
  const training = system(tmpDir(t));
  await runSteps(training, 10);
  const params = training.model.exportParameters();
  t.deepEqual(Object.keys(params), ['p0', 'p1', 'p2', 'p3']);
  // The "main thread" side: another instance of the same model; only its inference model is used.
  const main = new TfjsModel({ build: () => buildMlp(7) });
  const copies = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, (v as Float32Array).slice()]));
  main.importParameters(main.inferenceModel, copies);
  const x = batchAt(5).x;
  const want = tf.tidy(() =>
    (training.model.model.predict(tf.tensor2d(x, [8, INPUT])) as import('@tensorflow/tfjs').Tensor).dataSync().slice(),
  );
  t.deepEqual(main.inferenceModel.infer(tf.tensor2d(x, [8, INPUT])), want);
  t.throws(() => main.importParameters(main.inferenceModel, { ...copies, p1: new Float32Array(3) }), {
    instanceOf: TypeError,
    message: /'p1'.*must hold 8 numbers/,
  });
  t.throws(() => main.importParameters(main.inferenceModel, { p0: copies.p0! }), {
    instanceOf: TypeError,
    message: /'p1'/,
  });
});

tfTest(
  `tf.memory().numTensors stays the same over 10,000 training steps with syncs and inferences${why}`,
  async (t) => {
    const s = system(tmpDir(t));
    const x = tf.tensor2d(batchAt(0).x, [8, INPUT]);
    await runSteps(s, 3); // creates the optimizer slots and the inference model
    s.model.inferenceModel.infer(x);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10_000; i++) {
      await s.trainer.run();
      if (i % 100 === 0) s.model.inferenceModel.infer(x);
    }
    t.is(tf.memory().numTensors, before);
    t.is(s.trainer.optimizer('main').iterations, 10_003);
    x.dispose();
  },
);

tfTest(`loading weights of another shape or another optimizer class fails with the file named${why}`, async (t) => {
  const a = system(tmpDir(t));
  await runSteps(a, 2);
  const state = await a.store.saveState();
  const other = () =>
    tf.sequential({ layers: [tf.layers.dense({ inputShape: [INPUT], units: 3 }), tf.layers.dense({ units: 1 })] });
  const b = system(tmpDir(t), other);
  const before = weightsOf(b.model);
  await t.throwsAsync(b.store.loadState(state), {
    instanceOf: TypeError,
    message: /mlp\.msgpack: weight 0 is float32\[4,8\], this model's .* is float32\[4,3\]/,
  });
  t.deepEqual(weightsOf(b.model), before);
  const { loadOptimizer } = await import('../../src/tfjs/index.js');
  const { withLoad } = await import('../../src/persistence/capture.js');
  const { readFileSync } = await import('node:fs');
  const file = join(state, 'trainers', 'fit', 'optimizer.main.msgpack');
  const sgd = tf.train.sgd(0.1);
  await t.throwsAsync(
    withLoad(state, new Map([['trainers/fit/optimizer.main.msgpack', readFileSync(file)]]), () =>
      loadOptimizer(file, sgd),
    ),
    { instanceOf: TypeError, message: /optimizer\.main\.msgpack: holds the state of a Adam optimizer, not of a SGD/ },
  );
});

(hasWasm ? test.serial : test.skip)(
  `on the WebAssembly backend a TfjsModel trains, saves and resumes bit for bit too${hasWasm ? '' : ' [skipped: @tensorflow/tfjs-backend-wasm is not installed]'}`,
  async (t) => {
    const previous = tf.getBackend();
    t.true(await tf.setBackend('wasm'));
    t.teardown(() => tf.setBackend(previous));
    const a = system(tmpDir(t));
    await runSteps(a, 9);
    const state = await a.store.saveState();
    await runSteps(a, 11);
    const b = system(tmpDir(t), () => buildMlp(4));
    await b.store.loadState(state);
    await runSteps(b, 11);
    t.is(tf.getBackend(), 'wasm');
    t.deepEqual(Buffer.from(weightsOf(b.model).buffer), Buffer.from(weightsOf(a.model).buffer));
    t.true(b.trainer.lastLoss < 1);
  },
);
