/**
 * `pamiq-core/launch`: launch() and its configuration, the training module of a worker-thread system
 * (defineTraining) and the errors of both, and wireSystem() to load a state without running.
 */
export { launch, type LaunchOptions, type LaunchResult, type LaunchedSystem, type SystemControl } from './launch.js';
export { LaunchConfigError, type LaunchConfig, type ResolvedLaunchConfig } from './config.js';
export type { ShutdownReason, SaveRecord } from './control.js';
export { wireSystem, type SystemComponents, type WiredSystem } from './wiring.js';
export {
  defineTraining,
  TrainingModuleError,
  WorkerDiedError,
  WorkerError,
  type TrainingDefinition,
  type TrainingModule,
  type Threading,
} from '../runtime/index.js';
