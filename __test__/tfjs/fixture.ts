/** A small MLP regression with seeded initializers and a deterministic data stream, for the tfjs specs. */
import * as tf from '@tensorflow/tfjs';
import { type TfjsModel, TfjsTrainer } from '../../src/tfjs/index.js';

export const INPUT = 4;

export function buildMlp(seed = 1): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: seed * 100 + s });
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [INPUT], units: 8, activation: 'tanh', kernelInitializer: init(1) }),
      tf.layers.dense({ units: 1, kernelInitializer: init(2) }),
    ],
  });
}

/** The batch of step `step`: fixed, so that every run sees the same data in the same order. */
export function batchAt(step: number, size = 8): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(size * INPUT);
  const y = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    let target = 0;
    for (let j = 0; j < INPUT; j++) {
      const v = Math.sin(0.37 * (step * size + i) + 1.3 * j);
      x[i * INPUT + j] = v;
      target += (j + 1) * v;
    }
    y[i] = Math.tanh(target / 4);
  }
  return { x, y };
}

/** Trains the model `mlp` by Adam on {@link batchAt}(step), one step per run. */
export class MlpTrainer extends TfjsTrainer {
  step = 0;
  lastLoss = Number.NaN;
  model!: TfjsModel;

  constructor(private readonly optimizerFactory: () => tf.Optimizer = () => tf.train.adam(0.01)) {
    super();
  }

  override onTrainingModelsAttached(): void {
    this.model = this.getTrainingModel<TfjsModel>('mlp');
  }

  protected createOptimizers() {
    return { main: this.optimizerFactory() };
  }

  train(): void {
    const { x, y } = batchAt(this.step++);
    this.lastLoss = this.minimize('main', this.model, () => {
      const pred = this.model.forward(tf.tensor2d(x, [y.length, INPUT])) as tf.Tensor;
      return tf.losses.meanSquaredError(tf.tensor2d(y, [y.length, 1]), pred) as tf.Scalar;
    });
  }

  override async saveState(path: string): Promise<void> {
    await super.saveState(path);
    const { stageMsgpack } = await import('../../src/persistence/component-files.js');
    await stageMsgpack(`${path}/step.msgpack`, this.step);
  }

  override async loadState(path: string): Promise<void> {
    await super.loadState(path);
    const { readMsgpack } = await import('../../src/persistence/component-files.js');
    this.step = await readMsgpack<number>(`${path}/step.msgpack`);
  }
}

/** All weights of the training model, concatenated (exact values). */
export function weightsOf(model: TfjsModel): Float32Array {
  const parts = model.model.weights.map((w) => w.read().dataSync() as Float32Array);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
