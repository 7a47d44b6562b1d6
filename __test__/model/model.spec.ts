import test from 'ava';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { KeyError } from '../../src/data/index.js';
import {
  InferenceModel,
  InferenceModelsDict,
  LinearModel,
  TrainingModel,
  TrainingModelsDict,
  type TrainingModelOptions,
} from '../../src/model/index.js';
import { tmpDir } from '../helpers/tmp.js';

class ScaleInference extends InferenceModel<[number], number> {
  factor = 0;
  infer(x: number) {
    return x * this.factor;
  }
}

class ScaleModel extends TrainingModel<ScaleInference> {
  factor = 1;
  created = 0;
  calls: string[] = [];
  constructor(options?: TrainingModelOptions) {
    super(options);
  }
  protected createInferenceModel() {
    this.created++;
    return new ScaleInference();
  }
  forward(x: number) {
    return x * this.factor;
  }
  syncImpl(inference: ScaleInference) {
    this.calls.push('sync');
    inference.factor = this.factor;
  }
  override saveState(path: string) {
    this.calls.push(`save ${path}`);
  }
  override loadState(path: string) {
    this.calls.push(`load ${path}`);
  }
}

test('a model without an inference model cannot be inference-thread-only', (t) => {
  t.throws(() => new ScaleModel({ hasInferenceModel: false, inferenceThreadOnly: true }), { instanceOf: TypeError });
});

test('accessing the inference model of a model without one throws', (t) => {
  const m = new ScaleModel({ hasInferenceModel: false });
  t.throws(() => m.inferenceModel, { message: /has no inference model/ });
});

test('the inference model is created once, on first access', (t) => {
  const m = new ScaleModel();
  t.is(m.created, 0);
  const inf = m.inferenceModel;
  t.is(m.inferenceModel, inf);
  t.is(m.created, 1);
});

test('sync copies the parameters into the inference model', (t) => {
  const m = new ScaleModel();
  m.factor = 3;
  t.is(m.inferenceModel.infer(2), 0);
  m.sync();
  t.is(m.inferenceModel.infer(2), 6);
  t.is(m.forward(2), 6);
});

test('sync does nothing for an inference-thread-only model or one without an inference model', (t) => {
  const only = new ScaleModel({ inferenceThreadOnly: true });
  only.sync();
  const none = new ScaleModel({ hasInferenceModel: false });
  none.sync();
  t.deepEqual(only.calls, []);
  t.deepEqual(none.calls, []);
});

function threeModels() {
  const models = {
    default: new ScaleModel(),
    no_inference: new ScaleModel({ hasInferenceModel: false }),
    inference_only: new ScaleModel({ inferenceThreadOnly: true }),
  };
  return { models, dict: new TrainingModelsDict(models) };
}

test('the inference dict holds the default and inference-only models but not the one without', (t) => {
  const { models, dict } = threeModels();
  t.true(dict.inferenceModelsDict instanceof InferenceModelsDict);
  t.deepEqual([...dict.inferenceModelsDict.keys()], ['default', 'inference_only']);
  t.is(dict.inferenceModelsDict.get('default'), models.default.inferenceModel);
});

test('getting an inference-thread-only model throws KeyError', (t) => {
  const { models, dict } = threeModels();
  t.is(dict.get('default'), models.default);
  t.throws(() => dict.get('inference_only'), {
    instanceOf: KeyError,
    message: "model 'inference_only' is inference thread only.",
  });
  t.is(dict.get('missing'), undefined);
});

test('a training models dict saves every model under its name, creating the directory', async (t) => {
  const dir = tmpDir(t);
  const { models, dict } = threeModels();
  await dict.saveState(join(dir, 'models'));
  t.true(existsSync(join(dir, 'models')));
  for (const [name, m] of Object.entries(models)) t.deepEqual(m.calls, [`save ${join(dir, 'models', name)}`]);
});

test('a training models dict loads every model, then syncs it', async (t) => {
  const dir = tmpDir(t);
  const { models, dict } = threeModels();
  await dict.loadState(join(dir, 'models'));
  t.deepEqual(models.default.calls, [`load ${join(dir, 'models', 'default')}`, 'sync']);
  t.deepEqual(models.inference_only.calls, [`load ${join(dir, 'models', 'inference_only')}`]);
});

// ---- LinearModel

test('a linear model learns a linear function by SGD', (t) => {
  const m = new LinearModel(2, { learningRate: 0.05 });
  let loss = Infinity;
  for (let epoch = 0; epoch < 400; epoch++) {
    for (const [x0, x1] of [
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
      [0.5, 0.2],
    ] as const) {
      loss = m.trainStep(new Float32Array([x0, x1]), 2 * x0 - x1 + 0.5);
    }
  }
  t.true(loss < 1e-4, `loss ${loss}`);
  t.true(Math.abs(m.forward([1, 1]) - 1.5) < 0.01);
});

test('a linear model reaches its inference model only at sync', (t) => {
  const m = new LinearModel(1);
  const inference = m.inferenceModel;
  m.params.weights[0] = 2;
  t.is(inference.infer([3]), 0);
  m.sync();
  t.is(m.inferenceModel.infer([3]), 6);
  t.not(m.inferenceModel.params.weights, m.params.weights);
});

test('an inference-thread-only linear model shares its parameters', (t) => {
  const m = new LinearModel(1, { inferenceThreadOnly: true });
  m.params.weights[0] = 2;
  t.is(m.inferenceModel.infer([3]), 6);
});

test('an input of the wrong length throws a RangeError', (t) => {
  t.throws(() => new LinearModel(2).forward([1]), { instanceOf: RangeError });
});

test('a linear model round-trips through <name>.msgpack, and the dict syncs it at load', async (t) => {
  const dir = tmpDir(t);
  const m = new LinearModel(3);
  m.params.weights.set([1, 2, 3]);
  m.params.bias[0] = 0.5;
  await new TrainingModelsDict({ lin: m }).saveState(join(dir, 'models'));
  t.deepEqual(readdirSync(join(dir, 'models')), ['lin.msgpack']);
  m.params.weights[0] = 100; // changes after the save are not in it

  const loaded = new LinearModel(3);
  await new TrainingModelsDict({ lin: loaded }).loadState(join(dir, 'models'));
  t.deepEqual(Array.from(loaded.params.weights), [1, 2, 3]);
  t.is(loaded.params.bias[0], 0.5);
  t.is(loaded.inferenceModel.infer([1, 1, 1]), 6.5);
});

test('loading parameters of another shape throws a TypeError naming the file', async (t) => {
  const dir = tmpDir(t);
  await new LinearModel(3).saveState(join(dir, 'lin'));
  await t.throwsAsync(async () => new LinearModel(2).loadState(join(dir, 'lin')), {
    instanceOf: TypeError,
    message: /lin\.msgpack/,
  });
});
