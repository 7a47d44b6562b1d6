/**
 * pamiq-core: continual-learning agents with an atomic, verified, fast state store.
 *
 * The root holds what a program like the README's Quick start needs: agents and environments, buffers,
 * models, trainers, launch() with defineTraining(), the state-persistence basics, the errors a program
 * catches, and their types. Everything else is in a subpath, each with its types:
 * `pamiq-core/interaction`, `/data`, `/model`, `/trainer`, `/state`, `/launch`, `/time`, `/engine`
 * (backend(), the engine contract), `/ops` (web API, status), `/log`, `/random`, `/remote`, `/tfjs`.
 * `__test__/api/` pins this surface.
 */

// Interaction (PAMIQ-Core's top level has the same sixteen names).
export {
  Agent,
  Environment,
  Interaction,
  FixedIntervalInteraction,
  IntervalAdjustor,
  SleepIntervalAdjustor,
  ModularEnvironment,
  Sensor,
  Actuator,
  SensorsDict,
  ActuatorsDict,
  Wrapper,
  LambdaWrapper,
  SensorWrapper,
  ActuatorWrapper,
  EnvironmentWrapper,
} from './interaction/index.js';

// Data: the buffers, and what agents and trainers hold.
export {
  DataBuffer,
  DataCollector,
  DataUser,
  SequentialBuffer,
  RandomReplacementBuffer,
  DictSequentialBuffer,
  DictRandomReplacementBuffer,
  type RandomReplacementOptions,
  type SequentialBufferOptions,
} from './data/index.js';

// Models.
export {
  InferenceModel,
  TrainingModel,
  LinearModel,
  LinearInferenceModel,
  type TrainingModelOptions,
  type LinearModelOptions,
  type ParameterSet,
} from './model/index.js';

// Trainers.
export { Trainer, type TrainerOptions } from './trainer/index.js';

// Launch, and the training module of a worker-thread system.
export {
  launch,
  defineTraining,
  type LaunchOptions,
  type LaunchConfig,
  type LaunchResult,
  type LaunchedSystem,
  type SystemControl,
  type ShutdownReason,
  type TrainingDefinition,
} from './launch/index.js';

// State persistence basics.
export {
  StateStore,
  PeriodicSaveCondition,
  StatesKeeper,
  LatestStatesKeeper,
  latestState,
  stageMsgpack,
  readMsgpack,
  type PersistentState,
  type SaveCondition,
  type LatestStatesKeeperOptions,
  type StateStoreOptions,
} from './state/index.js';

// Errors a program catches: from a load, a save, a launch, a component lookup, the training worker.
export {
  StateError,
  StateNotFoundError,
  StateCorruptError,
  SaveError,
  StatesDirLockedError,
  StateNotDurableError,
  SerializationError,
} from './state/index.js';
export { LaunchConfigError, WorkerDiedError } from './launch/index.js';
export { KeyError } from './data/index.js';

export { VERSION } from './version.js';
