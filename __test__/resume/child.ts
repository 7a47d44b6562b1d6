/**
 * A child process for the exact-resume spec. Builds a system with wireSystem (a LinearModel or a tfjs
 * MLP trained with Adam, a RandomReplacementBuffer fed one deterministic item per step, minibatches
 * drawn with the process-wide random source), then:
 *
 *   straight DIR N K SEED  trains N steps, saving the state after step K; prints the final weights and
 *                          the state's path;
 *   resume PATH N SEED     loads PATH into a freshly built system (seeded differently, so nothing but
 *                          the state can make it match) and trains on to step N; prints the weights.
 *
 * argv[2] selects the model: `linear` or `tfjs`.
 */
import { RandomReplacementBuffer } from '../../src/data/index.js';
import { Agent, Environment, Interaction } from '../../src/interaction/index.js';
import { wireSystem } from '../../src/launch/wiring.js';
import { LinearModel } from '../../src/model/index.js';
import { globalRandom, seedGlobalRandom } from '../../src/random/index.js';
import { readMsgpack, stageMsgpack } from '../../src/persistence/component-files.js';
import { TimeController } from '../../src/time/index.js';
import { Trainer } from '../../src/trainer/index.js';

class Idle extends Agent<number, number> {
  step(observation: number) {
    return observation;
  }
}
class Zero extends Environment<number, number> {
  observe() {
    return 0;
  }
  affect() {}
}

const WIDTH = 4;
type Item = { x: Float32Array; y: number };

function itemAt(step: number): Item {
  const x = new Float32Array(WIDTH).map((_, j) => Math.sin(0.7 * step + 1.9 * j));
  return { x, y: x.reduce((s, v, j) => s + (j - 1.5) * v, 0.25) };
}

/** Adds item(step) to the buffer, then trains on a minibatch of 4 items drawn at random. */
abstract class StepTrainer extends Trainer {
  step = 0;
  buffer!: RandomReplacementBuffer<Item>;
  batch(): Item[] {
    this.buffer.add(itemAt(this.step++));
    const items = this.buffer.getData();
    return Array.from({ length: 4 }, () => items[globalRandom().int(items.length)]!);
  }
  override async saveState(path: string) {
    await super.saveState(path);
    await stageMsgpack(`${path}/step.msgpack`, this.step);
  }
  override async loadState(path: string) {
    await super.loadState(path);
    this.step = await readMsgpack<number>(`${path}/step.msgpack`);
  }
}

class LinearTrainer extends StepTrainer {
  train() {
    const model = this.getTrainingModel<LinearModel>('model');
    for (const { x, y } of this.batch()) model.trainStep(x, y);
  }
}

async function build(kind: string) {
  const buffer = new RandomReplacementBuffer<Item>(16, { replaceProbability: 0.7 });
  let trainer: StepTrainer;
  let model;
  let weights: () => Float32Array;
  if (kind === 'linear') {
    const m = new LinearModel(WIDTH, { learningRate: 0.05 });
    m.params.weights.set(Float32Array.from({ length: WIDTH }, () => globalRandom().normal()));
    model = m;
    trainer = new LinearTrainer();
    weights = () => Float32Array.from([...m.params.weights, ...m.params.bias]);
  } else {
    const tf = await import('@tensorflow/tfjs');
    const { TfjsModel, TfjsTrainer } = await import('../../src/tfjs/index.js');
    const m = new TfjsModel({
      build: () =>
        tf.sequential({
          layers: [
            tf.layers.dense({
              inputShape: [WIDTH],
              units: 6,
              activation: 'tanh',
              kernelInitializer: tf.initializers.randomNormal({ seed: globalRandom().int(1e6) }),
            }),
            tf.layers.dense({ units: 1 }),
          ],
        }),
    });
    class MlpTrainer extends TfjsTrainer {
      step = 0;
      buffer!: RandomReplacementBuffer<Item>;
      createOptimizers() {
        return { adam: tf.train.adam(0.02) };
      }
      train() {
        const batch = StepTrainer.prototype.batch.call(this as never) as Item[];
        const x = new Float32Array(batch.flatMap((b) => [...b.x]));
        const y = new Float32Array(batch.map((b) => b.y));
        this.minimize(
          'adam',
          m,
          () =>
            tf.losses.meanSquaredError(
              tf.tensor2d(y, [batch.length, 1]),
              m.forward(tf.tensor2d(x, [batch.length, WIDTH])) as never,
            ) as never,
        );
      }
      override async saveState(path: string) {
        await super.saveState(path);
        await stageMsgpack(`${path}/step.msgpack`, this.step);
      }
      override async loadState(path: string) {
        await super.loadState(path);
        this.step = await readMsgpack<number>(`${path}/step.msgpack`);
      }
    }
    model = m;
    trainer = new MlpTrainer() as unknown as StepTrainer;
    weights = () => {
      const parts = m.model.weights.map((w) => w.read().dataSync() as Float32Array);
      return Float32Array.from(parts.flatMap((p) => [...p]));
    };
  }
  trainer.buffer = buffer;
  const clock = new TimeController();
  const system = wireSystem(
    {
      interaction: new Interaction(new Idle(), new Zero()),
      models: { model },
      buffers: { replay: buffer },
      trainers: { fit: trainer },
    },
    { statesDir: process.argv[4]! },
    clock,
  );
  return { system, trainer, weights };
}

const hex = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

const [kind, mode] = [process.argv[2]!, process.argv[3]!];
if (mode === 'straight') {
  const [n, k, seed] = process.argv.slice(5).map(Number) as [number, number, number];
  seedGlobalRandom(seed);
  const s = await build(kind);
  let path = '';
  for (let i = 0; i < n; i++) {
    await s.trainer.run();
    if (i + 1 === k) path = await s.system.store.saveState();
  }
  console.log(JSON.stringify({ path, weights: hex(s.weights()), steps: s.trainer.step }));
} else if (mode === 'resume') {
  const [n, seed] = process.argv.slice(5).map(Number) as [number, number];
  seedGlobalRandom(seed);
  const s = await build(kind);
  // The state loaded below holds everything that matters, wherever this process started from.
  await s.trainer.run();
  await s.system.store.loadState(process.argv[4]!);
  while (s.trainer.step < n) await s.trainer.run();
  console.log(JSON.stringify({ weights: hex(s.weights()), steps: s.trainer.step }));
} else {
  throw new Error('usage: child.ts linear|tfjs straight DIR N K SEED | resume PATH N SEED');
}
