/**
 * `pamiq-core/engine`: which engine is active (`backend()`), the engine itself (`engine()`: verify, read,
 * scan and remove states directly), its contract's types, and the error it throws.
 */
export { backend, engine, type BackendInfo } from './select.js';
export { EngineError } from './types.js';
export type {
  BackendName,
  Engine,
  Manifest,
  ManifestFile,
  FileDigest,
  Problem,
  FaultKind,
  VerifyReport,
  ReadStateResult,
  StateEntry,
  ScanResult,
  RemoveOutcome,
  ListScan,
  Segment,
  FileWriter,
  CommitRequest,
  CommitResult,
  SnapshotEntry,
  SnapshotListing,
  SnapshotDigest,
  LockClaim,
  ClaimProbe,
} from './types.js';
