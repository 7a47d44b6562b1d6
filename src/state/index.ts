/**
 * `pamiq-core/state`: state persistence — the StateStore, save conditions, keepers, scans of a states
 * directory, the files components write into a state, and the errors a save or a load reports.
 */
export type { PersistentState } from '../persistence/persistent.js';
export { isPersistentState } from '../persistence/persistent.js';
export { StateStore, type PendingSave, type StateStoreOptions, type LoadOptions } from './store.js';
export { PeriodicSaveCondition, type SaveCondition, type SaveConditionLike } from './conditions.js';
export { StatesKeeper, LatestStatesKeeper, type LatestStatesKeeperOptions } from './keeper.js';
export { scanStates, latestState, type StateEntry, type ScanResult } from './scan.js';
export { stageFile, stageMsgpack, readStateFile, readMsgpack, type Producer } from '../persistence/component-files.js';
export { DEFAULT_STATE_NAME_FORMAT, DEFAULT_STATE_NAME_PATTERN } from './names.js';
export * from './errors.js';
export { statePhases, type StatePhase, type StatePhaseEvent } from './phases.js';
export { snapshot, restore, type SnapshotOptions, type RestoreOptions } from './snapshot.js';
export { SerializationError } from '../codec/values.js';
