import type { InferenceModel } from './inference-model.js';

/** The inference models by name, as agents see them. */
export class InferenceModelsDict extends Map<string, InferenceModel<any, any>> {}
