export { InferenceModel } from './inference-model.js';
export {
  TrainingModel,
  type TrainingModelOptions,
  type ParameterArray,
  type ParameterSet,
  type Parameters,
} from './training-model.js';
export { InferenceModelsDict } from './inference-models-dict.js';
export { TrainingModelsDict } from './training-models-dict.js';
export {
  LinearModel,
  LinearInferenceModel,
  type LinearParams,
  type LinearModelOptions,
} from './linear-model.js';
