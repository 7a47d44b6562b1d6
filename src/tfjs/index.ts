/**
 * `pamiq-core/tfjs`: TensorFlow.js models and trainers. Needs the optional peer dependency
 * `@tensorflow/tfjs` (or `@tensorflow/tfjs-node`, which re-exports it with the native backend).
 */
export {
  TfjsModel,
  TfjsInferenceModel,
  type TfjsModelOptions,
  type LayersModelFactory,
  type TfjsInput,
} from './model.js';
export { TfjsTrainer } from './trainer.js';
export { saveOptimizer, loadOptimizer, captureOptimizer } from './optimizer-state.js';
export {
  stageTensorFile,
  readTensorFile,
  type TensorFile,
  type TensorRecord,
  type TensorDtype,
} from './tensor-file.js';
