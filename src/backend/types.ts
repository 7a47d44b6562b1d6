/**
 * The twin contract: every backend implements {@link Engine}. The native backend (Rust over N-API) and
 * the TypeScript twin return deep-equal results for the same arguments and write byte-identical files.
 * See docs/engine.md for the on-disk format both produce.
 */

export type BackendName = 'native' | 'ts';

/** A contiguous piece of a file. Typed arrays are written as their raw bytes, zero-copy. */
export type Segment = ArrayBufferView;

/** Size and XXH3-64 (16 lowercase hex digits) of a written file. */
export interface FileDigest {
  size: number;
  xxh3: string;
}

export interface ManifestFile extends FileDigest {
  /** Relative to the state root, `/`-separated. */
  path: string;
}

export interface Manifest {
  format: 'pamiq-state';
  formatVersion: number;
  library: { name: string; version: string };
  /** UTC nanoseconds since the epoch, decimal string. */
  createdAtNs: string;
  /** Per-directory sequence number, increasing with every save (format 2; absent in format 1). */
  seq?: number;
  components: string[];
  files: ManifestFile[];
  /** XXH3 of the manifest text without this member (format 2; docs/engine.md). */
  manifestXxh3?: string;
}

/** Streaming writer of one new file. Appends must be awaited one after another. */
export interface FileWriter {
  /** Writes the segments in order, without concatenating them. Rejects with code EEXIST if the file existed. */
  append(segments: Segment[]): Promise<void>;
  /** Flushes, fsyncs and closes the file; returns its size and hash. */
  finish(): Promise<FileDigest>;
  /** Closes and unlinks the file; never rejects. */
  abort(): Promise<void>;
}

export interface CommitRequest {
  /** The filled temporary directory, inside statesDir. */
  tmpDir: string;
  statesDir: string;
  /** Wanted final name; a suffix is added when it is taken. */
  name: string;
  /** Files (relative paths) already hashed and fsynced by writers. */
  known: Record<string, FileDigest>;
  library: { name: string; version: string };
  createdAtNs: string;
  components: string[];
}

export interface CommitResult {
  /** Absolute path of the committed state. */
  path: string;
  name: string;
  manifest: Manifest;
  /**
   * False when the state was renamed into place (it is committed and loads) but the states directory
   * could not be fsynced afterwards, so the rename may not survive a power loss.
   */
  durable: boolean;
  /** `CODE: message` of that fsync failure (only when not durable). */
  syncError?: string;
}

export type FaultKind = 'missing' | 'size' | 'checksum' | 'unexpected' | 'unreadable';

export interface Problem {
  /** Relative file path within the state. */
  path: string;
  fault: FaultKind;
  /** Human-readable detail, e.g. "expected 4096 bytes, found 17". */
  detail: string;
}

export interface VerifyReport {
  /** The parsed manifest. */
  manifest: Manifest;
  /** Empty when the state is intact. Sorted by path. */
  problems: Problem[];
}

export interface ReadStateResult extends VerifyReport {
  /** Contents by relative path; empty when problems were found. */
  files: Map<string, Uint8Array>;
}

export interface StateEntry {
  name: string;
  path: string;
  /** Directory mtime in ms (as fs.Stats.mtimeMs). */
  mtimeMs: number;
  valid: boolean;
  /** Why the entry is not a valid state (only when !valid). */
  reason?: string;
  createdAtNs?: string;
  /** The manifest's sequence number (only when valid and of format 2). */
  seq?: number;
  /** Sum of the manifest's file sizes (only when valid). */
  size?: number;
  fileCount?: number;
  components?: string[];
}

export interface ScanResult {
  /** Valid entries by (seq (format 1: 0), createdAtNs, name) ascending, then invalid entries by name. */
  entries: StateEntry[];
  /** Names of `.pamiq-tmp-*` and `.pamiq-trash-*` entries. */
  leftovers: string[];
}

export interface RemoveOutcome {
  path: string;
  removed: boolean;
  error?: string;
}

export type ListScan =
  | { kind: 'numbers'; count: number; width: number; values: Float64Array; end: number }
  | {
      kind: 'tensors';
      count: number;
      /** dtype code per item (docs/engine.md). */
      dtypes: Uint8Array;
      /** Byte offset of each item's raw data within the scanned bytes. */
      offsets: Float64Array;
      /** Byte length of each item's raw data. */
      byteLengths: Float64Array;
      end: number;
    }
  | { kind: 'mixed'; count: number; end: number };

export interface Engine {
  readonly name: BackendName;
  createWriter(path: string): FileWriter;
  commitState(req: CommitRequest): Promise<CommitResult>;
  readState(dir: string): Promise<ReadStateResult>;
  verifyState(dir: string): Promise<VerifyReport>;
  scanStates(dir: string, pattern: string): Promise<ScanResult>;
  removeStates(paths: string[]): Promise<RemoveOutcome[]>;
  removeLeftovers(dir: string): Promise<string[]>;
  /** Msgpack items (no array header) of a numbers list; width 0 = scalars. */
  encodeNumbers(values: Float64Array, width: number): Uint8Array;
  scanList(bytes: Uint8Array, offset: number): ListScan;
  xxh3(bytes: Uint8Array): string;
  /**
   * Creates the lock claim file `path` (which must not exist; a symlink there is never followed),
   * writes `contents`, fsyncs it and, on the native backend, holds an advisory OS lock on it until
   * `release()` or the death of the process (docs/engine.md, "The states-directory lock").
   * @throws EngineError EEXIST when `path` exists; EIO on any other OS failure.
   */
  createLockClaim(path: string, contents: string): LockClaim;
  /**
   * Whether a process holds the OS lock of the claim file `path`: `held` / `free` on the native
   * backend; `unknown` on the twin, which has no OS locks; `missing`; `not-a-file` for a symlink or
   * special file (never opened).
   */
  probeLockClaim(path: string): ClaimProbe;
  /**
   * Phase one of a directory snapshot (run while the loops are paused): lists `src`, creates `dest`
   * (which must not exist) with its directories, and clones the files copy-on-write where the file
   * system can. Rejects with EINVAL when `src` is not a directory or `dest` lies inside it, EBADENTRY
   * for a symlink or special file, EEXIST when `dest` exists.
   */
  snapshotClone(src: string, dest: string): Promise<SnapshotListing>;
  /**
   * Phase two: copies the files `listing` did not clone, checks that none changed since the listing
   * (EIO "changed while being snapshotted" otherwise), hashes and fsyncs every file and directory.
   */
  snapshotCopy(src: string, dest: string, listing: SnapshotListing): Promise<SnapshotDigest[]>;
}

/** A file of a directory snapshot, as listed during the pause. */
export interface SnapshotEntry {
  /** Relative to the source root, `/`-separated. */
  path: string;
  size: number;
  /** Modification time in nanoseconds since the epoch, decimal string. */
  mtimeNs: string;
  /** True when the file was already cloned into the destination. */
  cloned: boolean;
}

/** Directories (parents first) and files of a snapshot, each sorted by path (UTF-8 bytes). */
export interface SnapshotListing {
  dirs: string[];
  files: SnapshotEntry[];
}

export interface SnapshotDigest extends FileDigest {
  path: string;
}

/** A lock claim file created by this process; see {@link Engine.createLockClaim}. */
export interface LockClaim {
  /** True when an OS lock is held on the file (native backend). */
  readonly osLock: boolean;
  /** Drops the OS lock (the caller unlinks the claim's name first). Idempotent. */
  release(): void;
}

export type ClaimProbe = 'held' | 'free' | 'missing' | 'not-a-file' | 'unknown';

/** Error thrown by both backends; `code` is one of docs/engine.md's codes. */
export class EngineError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}
