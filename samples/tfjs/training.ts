/**
 * The training side of the tfjs sample: models, buffers and trainers. Kept apart from the interaction
 * (main.ts) so that it can run in a training worker: each function builds fresh instances.
 */
import * as tf from '@tensorflow/tfjs';
import { DictSequentialBuffer } from '../../src/index.js'; // pamiq-core
import { globalRandom } from '../../src/random/index.js'; // pamiq-core/random
import { TfjsModel, TfjsTrainer } from '../../src/tfjs/index.js'; // pamiq-core/tfjs

export const INPUT = 2;

/** A small MLP: 2 → 32 → 32 → 1, seeded initializers. */
export function buildMlp(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [INPUT],
        units: 32,
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: 1 }),
      }),
      tf.layers.dense({ units: 32, activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: 2 }) }),
      tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }),
    ],
  });
}

export interface Experience {
  x: Float32Array;
  y: number;
}

/** Fits the MLP by Adam on minibatches drawn (with the saved global random source) from the newest data. */
export class OnlineTrainer extends TfjsTrainer {
  private model!: TfjsModel;
  lastLoss = Number.NaN;
  steps = 0;

  constructor() {
    super({ trainingConditionDataUser: 'experience', minBufferSize: 64, minNewDataCount: 4 });
  }

  override onTrainingModelsAttached() {
    this.model = this.getTrainingModel<TfjsModel>('mlp');
  }

  protected createOptimizers() {
    return { adam: tf.train.adam(3e-3) };
  }

  train() {
    const { x, y } = this.getDataUser<{ x: Float32Array[]; y: number[] }>('experience').getData();
    const batch = 32;
    // One Adam step per run keeps each run short: on the main thread it runs between agent steps.
    for (let step = 0; step < 1; step++) {
      const xs = new Float32Array(batch * INPUT);
      const ys = new Float32Array(batch);
      for (let i = 0; i < batch; i++) {
        const k = globalRandom().int(y.length);
        xs.set(x[k]!, i * INPUT);
        ys[i] = y[k]!;
      }
      this.lastLoss = this.minimize(
        'adam',
        this.model,
        () =>
          tf.losses.meanSquaredError(
            tf.tensor2d(ys, [batch, 1]),
            this.model.forward(tf.tensor2d(xs, [batch, INPUT])) as tf.Tensor,
          ) as tf.Scalar,
      );
      this.steps++;
    }
  }
}

export default {
  models: () => ({ mlp: new TfjsModel({ build: buildMlp }) }),
  buffers: () => ({ experience: new DictSequentialBuffer<Float32Array | number>(['x', 'y'], 2000) }),
  trainers: () => ({ online: new OnlineTrainer() }),
};
