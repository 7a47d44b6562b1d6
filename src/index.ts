/**
 * pamiq-core: continual-learning agents with an atomic, verified, fast state store.
 *
 * The public surface. Components: interaction (agents, environments), data (buffers, collectors),
 * model, trainer, time, state persistence, and launch. `backend()` tells which engine is active.
 */
export * from './interaction/index.js';
export * from './data/index.js';
export * from './model/index.js';
export * from './trainer/index.js';
export * from './state/index.js';
export * from './launch/index.js';
export * as time from './time/index.js';
export { TimeController, getGlobalTimeController } from './time/index.js';
export { backend, type BackendInfo } from './backend/select.js';
export { EngineError } from './backend/types.js';
export type { Manifest, ManifestFile, Problem, FaultKind, StateEntry, ScanResult } from './backend/types.js';
export { SerializationError } from './codec/values.js';
export { getLogger, setLogDestination, setLogLevel, captureLogs } from './log.js';
export { VERSION } from './version.js';
export * from './runtime/index.js';
export { setLogFormat, getLogFormat, useLogger, type LogFormat } from './log.js';
export {
  startOperations,
  SystemStatus,
  statusName,
  type Operations,
  type OperationsOptions,
  type OperatedSystem,
  type OpsObserver,
  type SaveReport,
  type ThreadInfo,
} from './ops/index.js';
export { WebApiClient, type ClientOptions } from './ops/client.js';
export { RandomSource, globalRandom, seedGlobalRandom, entropySeed } from './random/index.js';
