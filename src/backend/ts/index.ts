/**
 * The pure-TypeScript twin of the native engine (docs/engine.md). Every function here has a Rust twin in
 * crates/engine; both return deep-equal results and write byte-identical files.
 */
import type { Engine } from '../types.js';
import { commitState } from './commit.js';
import { xxh3 } from './hash.js';
import { scanList } from './list-scan.js';
import { createLockClaim, probeLockClaim } from './lock.js';
import { encodeNumbers } from './numbers.js';
import { readState, verifyState } from './read.js';
import { removeLeftovers, removeStates } from './remove.js';
import { scanStates } from './scan.js';
import { snapshotClone, snapshotCopy } from './snapshot.js';
import { createWriter } from './writer.js';

/** The pure-TypeScript twin of the native engine. */
export const tsEngine: Engine = {
  name: 'ts',
  createWriter,
  commitState,
  readState,
  verifyState,
  scanStates,
  removeStates,
  removeLeftovers,
  encodeNumbers,
  scanList,
  xxh3,
  createLockClaim,
  probeLockClaim,
  snapshotClone,
  snapshotCopy,
};
