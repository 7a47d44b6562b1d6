/**
 * The worker-thread runtime: trainers, their training models and their buffers run in a training
 * worker while the agent acts on the main thread. See system.ts for the shape.
 */
export { defineTraining, TrainingModuleError, type TrainingDefinition, type TrainingModule } from './definition.js';
export { WorkerDiedError } from './host.js';
export { WorkerError } from './protocol.js';
export type { Threading } from './system.js';
