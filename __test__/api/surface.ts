/**
 * The public API at the type level, checked by `npm run typecheck` (this file is in tsconfig's include;
 * it is never run). Each entry point is imported through the source file that package.json's `exports`
 * maps it to (`exports.spec.ts` checks that mapping): the names a user may import, with their types, and
 * — under `@ts-expect-error`, one per statement so that each must fail on its own — internals that no
 * entry point exports. A new or removed public name makes a deliberate change here.
 */

// ---- pamiq-core ----------------------------------------------------------------------------------
import {
  type Agent,
  Environment,
  Interaction,
  type FixedIntervalInteraction,
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
  DataBuffer,
  DataCollector,
  DataUser,
  SequentialBuffer,
  RandomReplacementBuffer,
  DictSequentialBuffer,
  DictRandomReplacementBuffer,
  InferenceModel,
  TrainingModel,
  LinearModel,
  LinearInferenceModel,
  type Trainer,
  type launch,
  defineTraining,
  StateStore,
  PeriodicSaveCondition,
  StatesKeeper,
  LatestStatesKeeper,
  latestState,
  stageMsgpack,
  readMsgpack,
  StateError,
  StateNotFoundError,
  StateCorruptError,
  SaveError,
  StatesDirLockedError,
  StateNotDurableError,
  SerializationError,
  LaunchConfigError,
  WorkerDiedError,
  KeyError,
  type VERSION,
  type RandomReplacementOptions,
  type SequentialBufferOptions,
  type TrainingModelOptions,
  type LinearModelOptions,
  type ParameterSet,
  type TrainerOptions,
  type LaunchOptions,
  type LaunchConfig,
  type LaunchResult,
  type LaunchedSystem,
  type SystemControl,
  type ShutdownReason,
  type TrainingDefinition,
  type PersistentState,
  type SaveCondition,
  type LatestStatesKeeperOptions,
  type StateStoreOptions,
} from '../../src/index.js';

// ---- the subpaths ----------------------------------------------------------------------------------
import type * as interaction from '../../src/interaction/index.js';
import type { InteractionEvents, ThreadEvents, WrapperLike } from '../../src/interaction/index.js';
import * as data from '../../src/data/index.js';
import type { CollectedBatch, Named } from '../../src/data/index.js';
import type * as model from '../../src/model/index.js';
import type { ParameterArray, Parameters as ModelParameters, LinearParams } from '../../src/model/index.js';
import type * as trainer from '../../src/trainer/index.js';
import type * as state from '../../src/state/index.js';
import type {
  PendingSave,
  LoadOptions,
  SaveConditionLike,
  StateEntry,
  ScanResult,
  Producer,
  StatePhase,
  StatePhaseEvent,
  SnapshotOptions,
  RestoreOptions,
} from '../../src/state/index.js';
import * as launchApi from '../../src/launch/index.js';
import type {
  ResolvedLaunchConfig,
  SaveRecord,
  SystemComponents,
  WiredSystem,
  TrainingModule,
  Threading,
} from '../../src/launch/index.js';
import * as time from '../../src/time/index.js';
import type { TimeState, ClockName } from '../../src/time/index.js';
import * as engineApi from '../../src/backend/index.js';
import type {
  BackendInfo,
  BackendName,
  Engine,
  Manifest,
  ManifestFile,
  Problem,
  FaultKind,
  VerifyReport,
} from '../../src/backend/index.js';
import * as ops from '../../src/ops/index.js';
import type {
  Operations,
  OperationsOptions,
  OpsObserver,
  SaveReport,
  ThreadInfo,
  ClientOptions,
  ApiAddress,
} from '../../src/ops/index.js';
import * as log from '../../src/log/index.js';
import type { Logger, LogDestination, LogFormat } from '../../src/log/index.js';
import * as random from '../../src/random/index.js';
import * as remote from '../../src/remote/index.js';
import type {
  RemoteConfig,
  ResolvedRemoteConfig,
  RemoteStateEntry,
  PushResult,
  RemoteSyncOptions,
} from '../../src/remote/index.js';
import * as tfjs from '../../src/tfjs/index.js';
import type { TfjsModelOptions, TensorFile, TensorDtype } from '../../src/tfjs/index.js';

// ---- internals: exported by no entry point ---------------------------------------------------------
// @ts-expect-error the loop runner is launch()'s own
import { EventLoopRunner } from '../../src/launch/index.js';
// @ts-expect-error launch() resolves its config itself
import { resolveLaunchConfig } from '../../src/launch/index.js';
// @ts-expect-error a helper of the component dicts
import { namedEntries } from '../../src/data/index.js';
// @ts-expect-error the states-directory lock is the StateStore's
import { StatesDirLock } from '../../src/state/index.js';
// @ts-expect-error launch() turns a SaveConditionLike into a condition
import { toSaveCondition } from '../../src/state/index.js';
// @ts-expect-error the StateStore names states itself
import { formatStateName } from '../../src/state/index.js';
// @ts-expect-error the interval adjustors' anchor
import { TimeAnchor } from '../../src/time/index.js';
// @ts-expect-error the null observer of a system without the web API
import { NO_OBSERVER } from '../../src/ops/index.js';
// @ts-expect-error the log sink of the training worker
import { setRawLogSink } from '../../src/log/index.js';
// @ts-expect-error parity specs and benchmarks only
import { nativeEngine } from '../../src/backend/index.js';
// @ts-expect-error the adapter over the binding
import { createNativeEngine } from '../../src/backend/index.js';
// @ts-expect-error launch() opens the remote itself
import { openLaunchRemote } from '../../src/remote/index.js';
// @ts-expect-error not in the root: pamiq-core/engine
import { backend as rootBackend } from '../../src/index.js';
// @ts-expect-error not in the root: pamiq-core/state
import { scanStates as rootScanStates } from '../../src/index.js';
// @ts-expect-error not in the root: pamiq-core/log
import { setLogLevel as rootSetLogLevel } from '../../src/index.js';
// @ts-expect-error not in the root: pamiq-core/launch
import { wireSystem as rootWireSystem } from '../../src/index.js';
// @ts-expect-error not in the root: pamiq-core/time
import { time as rootTime } from '../../src/index.js';

void [EventLoopRunner, resolveLaunchConfig, namedEntries, StatesDirLock, toSaveCondition, formatStateName, TimeAnchor];
void [NO_OBSERVER, setRawLogSink, nativeEngine, createNativeEngine, openLaunchRemote];
void [rootBackend, rootScanStates, rootSetLogLevel, rootWireSystem, rootTime];

// ---- types: the root and a subpath name the same thing ---------------------------------------------
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function same<A, B>(_proof: Equal<A, B>): void {}

same<typeof Agent, typeof interaction.Agent>(true);
same<typeof FixedIntervalInteraction, typeof interaction.FixedIntervalInteraction>(true);
same<typeof DictSequentialBuffer, typeof data.DictSequentialBuffer>(true);
same<typeof LinearModel, typeof model.LinearModel>(true);
same<typeof Trainer, typeof trainer.Trainer>(true);
same<typeof StateStore, typeof state.StateStore>(true);
same<typeof launch, typeof launchApi.launch>(true);
same<typeof KeyError, typeof data.KeyError>(true);
same<LaunchConfig, launchApi.LaunchConfig>(true);
same<SaveCondition, state.SaveCondition>(true);
same<ParameterSet, model.ParameterSet>(true);

// ---- types: what a program relies on -----------------------------------------------------------------
same<LaunchedSystem, Promise<LaunchResult> & { system: SystemControl }>(true);
same<ReturnType<typeof launch>, LaunchedSystem>(true);
same<Parameters<typeof launch>[0], LaunchOptions>(true);
same<ShutdownReason, 'maxUptime' | 'signal' | 'request' | 'error'>(true);
same<typeof VERSION, string>(true);
same<BackendName, 'native' | 'ts'>(true);
same<ReturnType<typeof engineApi.backend>, BackendInfo>(true);
same<ReturnType<typeof engineApi.engine>, Engine>(true);
same<ReturnType<typeof time.time>, number>(true);
same<Threading, 'worker' | 'main'>(true);

const config: LaunchConfig = {
  statesDir: './states',
  savedStatePath: 'latest',
  saveStateCondition: new PeriodicSaveCondition(1),
  statesKeeper: new LatestStatesKeeper({ statesDir: './states', maxKeep: 3 } satisfies LatestStatesKeeperOptions),
  maxUptime: 3,
};
const everyHour: SaveCondition = () => time.time() % 3600 < 6;
const training: TrainingDefinition = defineTraining({
  models: () => ({ policy: new LinearModel(2, { learningRate: 0.05 } satisfies LinearModelOptions) }),
  buffers: () => ({ experience: new DictSequentialBuffer(['x', 'y'], 100) }),
});
const errors: (new (...args: never[]) => Error)[] = [
  StateError,
  StateNotFoundError,
  StateCorruptError,
  SaveError,
  StatesDirLockedError,
  StateNotDurableError,
  SerializationError,
  LaunchConfigError,
  WorkerDiedError,
  KeyError,
  engineApi.EngineError,
  launchApi.TrainingModuleError,
  launchApi.WorkerError,
  data.BufferStateMismatchError,
  remote.RemoteError,
];
// Every state error is a StateError (catch them all at once).
const stateErrors: (new (...args: never[]) => StateError)[] = [
  StateNotFoundError,
  StateCorruptError,
  SaveError,
  StatesDirLockedError,
  StateNotDurableError,
];
async function program(): Promise<string | undefined> {
  const latest: string | undefined = await latestState('./states');
  const store: StateStore = new StateStore({ statesDir: './states' } satisfies StateStoreOptions);
  store.register('model', new LinearModel(2));
  const params: ParameterSet = new LinearModel(2).exportParameters();
  const persistent: PersistentState = new LinearModel(2);
  const info: BackendInfo = engineApi.backend();
  const report: VerifyReport = await engineApi.engine().verifyState('./states/x.state');
  const problems: Problem[] = report.problems;
  const level: LogFormat = log.getLogFormat();
  const status: string = ops.statusName(ops.SystemStatus.ACTIVE);
  const seeded: number = random.globalRandom().random();
  void [store, params, persistent, info, problems, level, status, seeded, config, everyHour, training];
  return latest;
}
void [program, errors, stateErrors];

// The other public names are imported above; using them keeps `noUnusedLocals` configurations quiet.
void [
  Environment,
  Interaction,
  IntervalAdjustor,
  SleepIntervalAdjustor,
  ModularEnvironment,
  Sensor,
  Actuator,
  SensorsDict,
];
void [
  ActuatorsDict,
  Wrapper,
  LambdaWrapper,
  SensorWrapper,
  ActuatorWrapper,
  EnvironmentWrapper,
  DataBuffer,
  DataCollector,
];
void [DataUser, SequentialBuffer, RandomReplacementBuffer, DictRandomReplacementBuffer, InferenceModel, TrainingModel];
void [LinearInferenceModel, StatesKeeper, stageMsgpack, readMsgpack, tfjs, random, log];
export type Used = [
  RandomReplacementOptions,
  SequentialBufferOptions,
  TrainingModelOptions,
  TrainerOptions,
  InteractionEvents,
  ThreadEvents,
  WrapperLike<unknown, unknown>,
  CollectedBatch<unknown>,
  Named<unknown>,
  ParameterArray,
  ModelParameters,
  LinearParams,
  PendingSave,
  LoadOptions,
  SaveConditionLike,
  StateEntry,
  ScanResult,
  Producer,
  StatePhase,
  StatePhaseEvent,
  SnapshotOptions,
  RestoreOptions,
  ResolvedLaunchConfig,
  SaveRecord,
  SystemComponents,
  WiredSystem,
  TrainingModule,
  TimeState,
  ClockName,
  Manifest,
  ManifestFile,
  FaultKind,
  Operations,
  OperationsOptions,
  OpsObserver,
  SaveReport,
  ThreadInfo,
  ClientOptions,
  ApiAddress,
  Logger,
  LogDestination,
  RemoteConfig,
  ResolvedRemoteConfig,
  RemoteStateEntry,
  PushResult,
  RemoteSyncOptions,
  TfjsModelOptions,
  TensorFile,
  TensorDtype,
];
