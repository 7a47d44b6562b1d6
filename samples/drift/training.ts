/**
 * The training side of the drift sample: the model, the buffer and the trainer. launch() imports this
 * module in the training worker (and the main thread builds `models` too, for the inference model).
 */
import { defineTraining, DictSequentialBuffer, LinearModel, Trainer } from '../../src/index.js'; // pamiq-core

export const DIM = 8;

/** Fits the model on the newest 256 pairs whenever 16 new ones arrived. */
class TrackingTrainer extends Trainer {
  constructor() {
    super({ trainingConditionDataUser: 'experience', minBufferSize: 32, minNewDataCount: 16 });
  }

  train() {
    const model = this.getTrainingModel<LinearModel>('tracker');
    const { x, y } = this.getDataUser<{ x: Float32Array[]; y: number[] }>('experience').getData();
    const from = Math.max(0, y.length - 256);
    for (let epoch = 0; epoch < 2; epoch++) {
      for (let i = from; i < y.length; i++) model.trainStep(x[i]!, y[i]!);
    }
  }
}

export default defineTraining({
  models: () => ({ tracker: new LinearModel(DIM, { learningRate: 0.01 }) }),
  buffers: () => ({ experience: new DictSequentialBuffer(['x', 'y'], 2000) }),
  trainers: () => ({ tracker: new TrackingTrainer() }),
});
