//! N-API binding over `pamiq_engine` (crates/engine): a thin conversion layer. The TypeScript adapter
//! `src/backend/native.ts` turns these raw exports into the `Engine` interface; it is typed from the
//! generated `index.d.ts`, so a changed signature here fails `npm run typecheck` there.
//!
//! Conventions:
//! - Errors are thrown / rejected with the message `CODE: message` (CODE one of docs/engine.md's
//!   codes, or EINVAL for an invalid argument); the adapter turns them into `EngineError`.
//! - File work runs in `AsyncTask`s (libuv pool), which fan out on the engine's rayon pool.
//! - Buffers cross without copies: segments are read in place (the contract is that JavaScript never
//!   mutates data it handed to a writer), results are `Uint8Array`s that take over Rust's `Vec`s.
//! - Nothing here panics: every engine call is also wrapped in `catch_unwind`, and the tasks (which
//!   own the JS references) are dropped on the JS thread.
//!
//! Adding an asynchronous engine function takes three parts:
//! 1. a `#[napi(object)]` struct for its result (`RawX`, with `From<engine::X>`), unless one exists;
//! 2. one line `engine_task!(XTask => RawX);` — the task type that runs the call on the libuv pool;
//! 3. the exported function, whose `///` docs become the JSDoc of `index.d.ts`:
//!    ```ignore
//!    /// What it does.
//!    #[napi]
//!    pub fn do_x(dir: String) -> AsyncTask<XTask> {
//!      XTask::start(move || engine::do_x(Path::new(&dir)).map(RawX::from))
//!    }
//!    ```
//! The closure runs on a worker thread under `guarded` (errors become `CODE: message`, panics `EIO`)
//! and builds the JavaScript value there; it is called by reference, so what it captures (argument
//! buffers among it) stays in the task and is dropped with it on the JS thread. Then
//! `npm run build` regenerates `index.d.ts`, and the adapter in src/backend/native.ts uses the
//! export. Synchronous functions call `guarded` directly.
#![deny(clippy::all)]

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::*;
use napi_derive::napi;
use pamiq_engine as engine;
use pamiq_engine::{Code, EngineError};

/// `CODE: message` as a JavaScript error.
fn js_error(e: EngineError) -> Error {
  Error::new(Status::GenericFailure, format!("{}: {}", e.code, e.message))
}

/// Runs engine code, turning errors and (defensively) panics into JavaScript errors.
fn guarded<T>(f: impl FnOnce() -> engine::Result<T>) -> Result<T> {
  match catch_unwind(AssertUnwindSafe(f)) {
    Ok(r) => r.map_err(js_error),
    Err(p) => {
      let what = p
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_default();
      Err(js_error(EngineError::new(
        Code::Io,
        format!("internal error in the native engine: {what}"),
      )))
    }
  }
}

fn invalid(msg: String) -> EngineError {
  EngineError::new(Code::InvalidArg, msg)
}

/// A JavaScript number that must be a safe non-negative integer.
fn to_u64(x: f64, what: &str) -> engine::Result<u64> {
  if x >= 0.0 && x.fract() == 0.0 && x <= 9_007_199_254_740_991.0 {
    Ok(x as u64)
  } else {
    Err(invalid(format!(
      "{what} must be a non-negative safe integer, got {x}"
    )))
  }
}

// ---------------------------------------------------------------------------------------------
// Asynchronous calls: one generic job, one named task type per function

/// The work of one asynchronous call: engine code that runs on a libuv worker thread and returns the
/// value handed to JavaScript. It is called by reference (`Fn`), so what it captures is dropped with
/// its task, on the JS thread.
pub struct Job<T>(Box<dyn Fn() -> engine::Result<T> + Send>);

impl<T> Job<T> {
  fn run(&self) -> Result<T> {
    guarded(|| (self.0)())
  }
}

/// `engine_task!(XTask => RawX)` declares `XTask`, a `Task` resolving to `RawX`, and
/// `XTask::start(closure) -> AsyncTask<XTask>`. Each function needs a task type of its own only
/// because the generated `index.d.ts` names the Promise's value after the `impl Task`'s `JsValue`.
macro_rules! engine_task {
  ($task:ident => $($js:tt)+) => {
    pub struct $task(Job<$($js)+>);

    impl $task {
      fn start(
        job: impl Fn() -> engine::Result<$($js)+> + Send + 'static,
      ) -> AsyncTask<$task> {
        AsyncTask::new($task(Job(Box::new(job))))
      }
    }

    #[napi]
    impl Task for $task {
      type Output = $($js)+;
      type JsValue = $($js)+;

      fn compute(&mut self) -> Result<Self::Output> {
        self.0.run()
      }

      fn resolve(&mut self, _env: Env, out: Self::Output) -> Result<Self::JsValue> {
        Ok(out)
      }
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Writer

/// Size and XXH3-64 (16 lowercase hex digits) of a written file.
#[napi(object)]
pub struct RawDigest {
  pub size: f64,
  pub xxh3: String,
}

impl From<engine::Digest> for RawDigest {
  fn from(d: engine::Digest) -> Self {
    RawDigest {
      size: d.size as f64,
      xxh3: d.xxh3,
    }
  }
}

type SharedWriter = Arc<Mutex<engine::Writer>>;

fn with_writer<T>(
  w: &SharedWriter,
  f: impl FnOnce(&mut engine::Writer) -> engine::Result<T>,
) -> engine::Result<T> {
  let mut guard = w
    .lock()
    .map_err(|_| EngineError::new(Code::Io, "the writer is unusable after an internal error"))?;
  f(&mut guard)
}

engine_task!(AppendTask => ());
engine_task!(FinishTask => RawDigest);
engine_task!(AbortTask => ());

/// A streaming writer of one new file. The file is created exclusively by the first `append` (or by
/// `finish` when nothing was appended). Calls must be awaited one after another.
/// `PAMIQ_FAULT_ENOSPC_AFTER_BYTES` is read when the writer is constructed (test-only fault hook).
#[napi]
pub struct NativeWriter {
  inner: SharedWriter,
}

#[napi]
impl NativeWriter {
  /// A writer of `path`; touches nothing on disk yet.
  #[napi(constructor)]
  pub fn new(path: String) -> Self {
    NativeWriter {
      inner: Arc::new(Mutex::new(engine::Writer::new(path))),
    }
  }

  /// Writes the segments in order with vectored writes, hashing as it goes. The bytes are read in
  /// place on a worker thread: they must not change until the Promise settles.
  /// Rejects with `EEXIST: …` if the file existed.
  #[napi]
  pub fn append(&self, segments: Vec<Uint8Array>) -> AsyncTask<AppendTask> {
    let writer = self.inner.clone();
    AppendTask::start(move || with_writer(&writer, |w| w.append(&segments)))
  }

  /// Fsyncs and closes the file; resolves to its size and hash.
  #[napi]
  pub fn finish(&self) -> AsyncTask<FinishTask> {
    let writer = self.inner.clone();
    FinishTask::start(move || with_writer(&writer, |w| w.finish()).map(RawDigest::from))
  }

  /// Closes and unlinks the file (if this writer created it); never rejects.
  #[napi]
  pub fn abort(&self) -> AsyncTask<AbortTask> {
    let writer = self.inner.clone();
    AbortTask::start(move || {
      // Never rejects: a failure (or panic) while aborting leaves nothing to report.
      let _ = guarded(|| {
        with_writer(&writer, |w| {
          w.abort();
          Ok(())
        })
      });
      Ok(())
    })
  }
}

// ---------------------------------------------------------------------------------------------
// commitState

#[napi(object)]
pub struct RawLibrary {
  pub name: String,
  pub version: String,
}

/// `CommitRequest` of src/backend/types.ts.
#[napi(object)]
pub struct RawCommitRequest {
  pub tmp_dir: String,
  pub states_dir: String,
  pub name: String,
  /// Relative path → digest of files already hashed and fsynced by writers.
  pub known: HashMap<String, RawDigest>,
  pub library: RawLibrary,
  pub created_at_ns: String,
  pub components: Vec<String>,
}

/// The committed state: absolute path, final name, and its manifest as the exact manifest.json text.
#[napi(object)]
pub struct RawCommitResult {
  pub path: String,
  pub name: String,
  pub manifest_json: String,
  /// False when the state is in place but the states directory could not be fsynced after the rename.
  pub durable: bool,
  /// `CODE: message` of that fsync failure (only when not durable).
  pub sync_error: Option<String>,
}

fn to_engine_request(req: RawCommitRequest) -> engine::Result<engine::CommitRequest> {
  let mut known = HashMap::with_capacity(req.known.len());
  for (path, d) in req.known {
    let size = to_u64(d.size, &format!("known[{path:?}].size"))?;
    known.insert(path, engine::Digest { size, xxh3: d.xxh3 });
  }
  Ok(engine::CommitRequest {
    tmp_dir: PathBuf::from(req.tmp_dir),
    states_dir: PathBuf::from(req.states_dir),
    name: req.name,
    known,
    library: engine::Library {
      name: req.library.name,
      version: req.library.version,
    },
    created_at_ns: req.created_at_ns,
    components: req.components,
  })
}

impl From<engine::CommitResult> for RawCommitResult {
  fn from(out: engine::CommitResult) -> Self {
    RawCommitResult {
      path: out.path,
      name: out.name,
      manifest_json: out.manifest.to_json(),
      durable: out.durable,
      sync_error: out.sync_error,
    }
  }
}

engine_task!(CommitTask => RawCommitResult);

/// Hashes and fsyncs the files of `req.tmpDir` not in `req.known`, fsyncs every directory, writes
/// manifest.json and renames the directory to `statesDir/name` (suffixed `_1`, `_2`, … when taken).
#[napi]
pub fn commit_state(req: RawCommitRequest) -> AsyncTask<CommitTask> {
  // Converted here (moves only); an invalid request rejects the Promise.
  let req = to_engine_request(req);
  CommitTask::start(move || {
    let req = req.as_ref().map_err(Clone::clone)?;
    engine::commit_state(req).map(RawCommitResult::from)
  })
}

// ---------------------------------------------------------------------------------------------
// readState / verifyState

/// One problem found in a state.
#[napi(object)]
pub struct RawProblem {
  pub path: String,
  /// missing | size | checksum | unexpected | unreadable
  pub fault: String,
  pub detail: String,
}

fn raw_problems(ps: Vec<engine::Problem>) -> Vec<RawProblem> {
  ps.into_iter()
    .map(|p| RawProblem {
      path: p.path,
      fault: p.fault.as_str().to_owned(),
      detail: p.detail,
    })
    .collect()
}

/// A state's manifest (as JSON text) and problems.
#[napi(object)]
pub struct RawVerifyReport {
  pub manifest_json: String,
  pub problems: Vec<RawProblem>,
}

/// A state's manifest (as JSON text), problems and, when there are none, the contents of its files
/// (`paths[i]` holds `contents[i]`).
#[napi(object)]
pub struct RawReadResult {
  pub manifest_json: String,
  pub problems: Vec<RawProblem>,
  pub paths: Vec<String>,
  pub contents: Vec<Uint8Array>,
}

impl From<engine::ReadResult> for RawReadResult {
  fn from(out: engine::ReadResult) -> Self {
    let (paths, contents) = out
      .files
      .into_iter()
      .map(|(p, bytes)| (p, Uint8Array::new(bytes)))
      .unzip();
    RawReadResult {
      manifest_json: out.manifest.to_json(),
      problems: raw_problems(out.problems),
      paths,
      contents,
    }
  }
}

engine_task!(ReadTask => RawReadResult);

/// Reads a state: parses and checks the manifest, reads every listed file in parallel and checks its
/// size and XXH3.
#[napi]
pub fn read_state(dir: String) -> AsyncTask<ReadTask> {
  ReadTask::start(move || engine::read_state(Path::new(&dir)).map(RawReadResult::from))
}

impl From<engine::VerifyReport> for RawVerifyReport {
  fn from(out: engine::VerifyReport) -> Self {
    RawVerifyReport {
      manifest_json: out.manifest.to_json(),
      problems: raw_problems(out.problems),
    }
  }
}

engine_task!(VerifyTask => RawVerifyReport);

/// The checks of `readState`, streaming, without keeping contents.
#[napi]
pub fn verify_state(dir: String) -> AsyncTask<VerifyTask> {
  VerifyTask::start(move || engine::verify_state(Path::new(&dir)).map(RawVerifyReport::from))
}

// ---------------------------------------------------------------------------------------------
// scanStates

/// A scan result packed into a few large values, so 10,000 entries cross N-API as four values
/// instead of 10,000 objects (the adapter in src/backend/native.ts rebuilds the `ScanResult`).
///
/// - `prefix`: what precedes an entry's name in its path (the states directory and a separator).
/// - `text`: every string of the result, one after another: per entry its name, then its path (only
///   when it is not `prefix` + name), reason, createdAtNs and components when present (as `flags`
///   says; components only when they differ from those of the previous entry that has some); then the
///   leftovers.
/// - `ends`: the end of each string in `text`, in UTF-16 code units (JavaScript string indices).
/// - `numbers`: per entry mtimeMs, seq, size, fileCount (0 when absent).
/// - `info`: per entry the flags (bit 0 valid, 1 reason, 2 createdAtNs, 3 seq, 4 size, 5 fileCount,
///   6 components, 7 path in `text`, 8 components as the previous entry's) and the number of
///   components.
#[napi(object)]
pub struct RawScanResult {
  pub count: u32,
  pub prefix: String,
  pub text: String,
  pub ends: Uint32Array,
  pub numbers: Float64Array,
  pub info: Uint32Array,
}

/// Appends `s` to `text` and its end (UTF-16 units) to `ends`.
fn push_str(text: &mut String, units: &mut u32, ends: &mut Vec<u32>, s: &str) {
  text.push_str(s);
  *units += if s.is_ascii() {
    s.len() as u32
  } else {
    s.encode_utf16().count() as u32
  };
  ends.push(*units);
}

impl From<engine::ScanResult> for RawScanResult {
  fn from(out: engine::ScanResult) -> Self {
    let n = out.entries.len();
    let mut text = String::with_capacity(n * 96);
    let mut units = 0u32;
    let mut ends = Vec::with_capacity(n * 2 + out.leftovers.len());
    let mut numbers = Vec::with_capacity(n * 4);
    let mut info = Vec::with_capacity(n * 2);
    // Paths are the directory's prefix and the name: sent once, not 10,000 times.
    let prefix = out
      .entries
      .first()
      .and_then(|e| e.path.strip_suffix(e.name.as_str()))
      .unwrap_or_default()
      .to_owned();
    let mut previous_components: Option<&Vec<String>> = None;
    for e in &out.entries {
      push_str(&mut text, &mut units, &mut ends, &e.name);
      let mut flags = u32::from(e.valid);
      let prefixed = e.path.len() == prefix.len() + e.name.len()
        && e.path.starts_with(prefix.as_str())
        && e.path.ends_with(e.name.as_str());
      if !prefixed {
        flags |= 1 << 7;
        push_str(&mut text, &mut units, &mut ends, &e.path);
      }
      if let Some(r) = &e.reason {
        flags |= 1 << 1;
        push_str(&mut text, &mut units, &mut ends, r);
      }
      if let Some(c) = &e.created_at_ns {
        flags |= 1 << 2;
        push_str(&mut text, &mut units, &mut ends, c);
      }
      let mut components = 0u32;
      if let Some(cs) = &e.components {
        flags |= 1 << 6;
        components = cs.len() as u32;
        if previous_components == Some(cs) {
          flags |= 1 << 8;
        } else {
          for c in cs {
            push_str(&mut text, &mut units, &mut ends, c);
          }
          previous_components = Some(cs);
        }
      }
      if e.seq.is_some() {
        flags |= 1 << 3;
      }
      if e.size.is_some() {
        flags |= 1 << 4;
      }
      if e.file_count.is_some() {
        flags |= 1 << 5;
      }
      numbers.extend_from_slice(&[
        e.mtime_ms,
        e.seq.unwrap_or(0) as f64,
        e.size.unwrap_or(0) as f64,
        e.file_count.unwrap_or(0) as f64,
      ]);
      info.extend_from_slice(&[flags, components]);
    }
    for l in &out.leftovers {
      push_str(&mut text, &mut units, &mut ends, l);
    }
    RawScanResult {
      count: n as u32,
      prefix,
      text,
      ends: Uint32Array::new(ends),
      numbers: Float64Array::new(numbers),
      info: Uint32Array::new(info),
    }
  }
}

engine_task!(ScanTask => RawScanResult);

/// Lists `dir`: skips names starting with `.` (reporting `.pamiq-tmp-*` / `.pamiq-trash-*` as
/// leftovers), matches the glob `pattern` on the names, stats and parses each manifest in parallel.
/// Entries: valid by (seq, createdAtNs, name), then invalid by name.
#[napi]
pub fn scan_states(dir: String, pattern: String) -> AsyncTask<ScanTask> {
  ScanTask::start(move || engine::scan_states(Path::new(&dir), &pattern).map(RawScanResult::from))
}

// ---------------------------------------------------------------------------------------------
// removeStates / removeLeftovers

#[napi(object)]
pub struct RawRemoveOutcome {
  pub path: String,
  pub removed: bool,
  /// `CODE: message` of the failure.
  pub error: Option<String>,
}

impl From<engine::RemoveOutcome> for RawRemoveOutcome {
  fn from(o: engine::RemoveOutcome) -> Self {
    RawRemoveOutcome {
      path: o.path,
      removed: o.removed,
      error: o.error,
    }
  }
}

engine_task!(RemoveTask => Vec<RawRemoveOutcome>);

/// Removes states crash-safely (rename to `.pamiq-trash-<name>-<8 hex>`, fsync the parent, delete),
/// in parallel; one outcome per path, in order.
#[napi]
pub fn remove_states(paths: Vec<String>) -> AsyncTask<RemoveTask> {
  RemoveTask::start(move || {
    let out = engine::remove_states(&paths)?;
    Ok(out.into_iter().map(RawRemoveOutcome::from).collect())
  })
}

engine_task!(RemoveLeftoversTask => Vec<String>);

/// Deletes the `.pamiq-tmp-*` and `.pamiq-trash-*` entries of `dir`; resolves to the names removed.
#[napi]
pub fn remove_leftovers(dir: String) -> AsyncTask<RemoveLeftoversTask> {
  RemoveLeftoversTask::start(move || engine::remove_leftovers(Path::new(&dir)))
}

// ---------------------------------------------------------------------------------------------
// Sync: encodeNumbers, scanList, xxh3

/// The msgpack items (no array header) of a numbers list, byte-identical to `@msgpack/msgpack`:
/// `width` 0 → one number per value, else one array of `width` numbers per `width` values. Large
/// inputs are encoded in parallel chunks.
#[napi]
pub fn encode_numbers(values: &[f64], width: u32) -> Result<Uint8Array> {
  guarded(|| engine::encode_numbers(values, width as usize)).map(Uint8Array::new)
}

/// `scanList` result; which fields are set depends on `kind` (numbers | tensors | mixed).
#[napi(object)]
pub struct RawListScan {
  pub kind: String,
  pub count: u32,
  pub end: f64,
  /// numbers: values per item (0 = scalars).
  pub width: Option<u32>,
  /// numbers: every number, packed.
  pub values: Option<Float64Array>,
  /// tensors: dtype code per item.
  pub dtypes: Option<Uint8Array>,
  /// tensors: byte offset of each item's raw data within the scanned bytes.
  pub offsets: Option<Float64Array>,
  /// tensors: byte length of each item's raw data.
  pub byte_lengths: Option<Float64Array>,
}

/// Classifies and reads the msgpack list at `offset` of `bytes` (docs/engine.md, "Lists").
/// Throws `EBADMSGPACK: …` for malformed bytes.
#[napi]
pub fn scan_list(bytes: &[u8], offset: f64) -> Result<RawListScan> {
  let scan = guarded(|| {
    // A bad offset is bad list input, as in the TypeScript twin.
    let offset = to_u64(offset, "offset")
      .ok()
      .and_then(|o| usize::try_from(o).ok())
      .filter(|&o| o <= bytes.len())
      .ok_or_else(|| {
        EngineError::new(
          Code::BadMsgpack,
          format!(
            "malformed MessagePack at offset {offset}: offset outside the {} bytes given",
            bytes.len()
          ),
        )
      })?;
    engine::scan_list(bytes, offset)
  })?;
  let empty = || RawListScan {
    kind: String::new(),
    count: 0,
    end: 0.0,
    width: None,
    values: None,
    dtypes: None,
    offsets: None,
    byte_lengths: None,
  };
  Ok(match scan {
    engine::ListScan::Numbers {
      count,
      width,
      values,
      end,
    } => RawListScan {
      kind: "numbers".into(),
      count,
      end: end as f64,
      width: Some(width),
      values: Some(Float64Array::new(values)),
      ..empty()
    },
    engine::ListScan::Tensors {
      count,
      dtypes,
      offsets,
      byte_lengths,
      end,
    } => RawListScan {
      kind: "tensors".into(),
      count,
      end: end as f64,
      dtypes: Some(Uint8Array::new(dtypes)),
      offsets: Some(Float64Array::new(offsets)),
      byte_lengths: Some(Float64Array::new(byte_lengths)),
      ..empty()
    },
    engine::ListScan::Mixed { count, end } => RawListScan {
      kind: "mixed".into(),
      count,
      end: end as f64,
      ..empty()
    },
  })
}

/// XXH3-64 (seed 0) of the bytes as 16 lowercase hex digits (same as hash-wasm `xxhash3()`).
#[napi]
pub fn xxh3(bytes: &[u8]) -> String {
  engine::xxh3_hex(bytes)
}

// ---------------------------------------------------------------------------------------------
// States-directory lock (the OS half; the protocol is in src/state/lock.ts)

/// A lock claim file created fresh (never following a symlink) and held under an advisory OS lock
/// until `release()` or the death of the process.
#[napi]
pub struct NativeClaimLock {
  inner: Mutex<engine::lock::ClaimLock>,
}

#[napi]
impl NativeClaimLock {
  /// Creates `path` with `contents`, fsyncs it and locks it. Throws `EEXIST: …` when `path` exists.
  #[napi(constructor)]
  pub fn new(path: String, contents: String) -> Result<Self> {
    let lock =
      guarded(|| engine::lock::ClaimLock::create(&PathBuf::from(path), contents.as_bytes()))?;
    Ok(NativeClaimLock {
      inner: Mutex::new(lock),
    })
  }

  /// Drops the lock. Idempotent.
  #[napi]
  pub fn release(&self) {
    if let Ok(mut l) = self.inner.lock() {
      l.release();
    }
  }
}

/// Whether a process holds the lock of the claim file at `path`: `held`, `free`, `missing` or
/// `not-a-file` (a symlink or special file, never opened).
#[napi]
pub fn probe_claim_lock(path: String) -> Result<String> {
  guarded(|| engine::lock::probe(&PathBuf::from(path)).map(|p| p.as_str().to_owned()))
}

// ---------------------------------------------------------------------------------------------
// snapshotClone / snapshotCopy (directory snapshots)

/// One listed file of a directory snapshot (`SnapshotEntry` of src/backend/types.ts).
#[napi(object)]
pub struct RawSnapshotEntry {
  pub path: String,
  pub size: f64,
  pub mtime_ns: String,
  pub cloned: bool,
}

/// `SnapshotListing` of src/backend/types.ts.
#[napi(object)]
pub struct RawSnapshotListing {
  pub dirs: Vec<String>,
  pub files: Vec<RawSnapshotEntry>,
}

/// A copied file's path and digest.
#[napi(object)]
pub struct RawSnapshotDigest {
  pub path: String,
  pub size: f64,
  pub xxh3: String,
}

fn listing_to_raw(l: engine::SnapshotListing) -> RawSnapshotListing {
  RawSnapshotListing {
    dirs: l.dirs,
    files: l
      .files
      .into_iter()
      .map(|e| RawSnapshotEntry {
        path: e.path,
        size: e.size as f64,
        mtime_ns: e.mtime_ns,
        cloned: e.cloned,
      })
      .collect(),
  }
}

fn listing_from_raw(l: &RawSnapshotListing) -> engine::Result<engine::SnapshotListing> {
  let files = l
    .files
    .iter()
    .map(|e| {
      if !(e.size >= 0.0 && e.size.fract() == 0.0 && e.size < 9007199254740992.0) {
        return Err(EngineError::new(
          Code::InvalidArg,
          format!(
            "snapshotCopy: size of '{}' is not a non-negative integer",
            e.path
          ),
        ));
      }
      Ok(engine::SnapshotEntry {
        path: e.path.clone(),
        size: e.size as u64,
        mtime_ns: e.mtime_ns.clone(),
        cloned: e.cloned,
      })
    })
    .collect::<engine::Result<Vec<_>>>()?;
  Ok(engine::SnapshotListing {
    dirs: l.dirs.clone(),
    files,
  })
}

engine_task!(SnapshotCloneTask => RawSnapshotListing);

/// Phase one of a directory snapshot (during the pause): lists `src`, creates `dest` with its
/// directories, clones the files copy-on-write where the file system can.
#[napi]
pub fn snapshot_clone(src: String, dest: String) -> AsyncTask<SnapshotCloneTask> {
  SnapshotCloneTask::start(move || {
    engine::snapshot_clone(Path::new(&src), Path::new(&dest)).map(listing_to_raw)
  })
}

impl From<engine::SnapshotDigest> for RawSnapshotDigest {
  fn from(d: engine::SnapshotDigest) -> Self {
    RawSnapshotDigest {
      path: d.path,
      size: d.digest.size as f64,
      xxh3: d.digest.xxh3,
    }
  }
}

engine_task!(SnapshotCopyTask => Vec<RawSnapshotDigest>);

/// Phase two of a directory snapshot (after the pause): copies what was not cloned, checks the
/// sources did not change since the listing, hashes and fsyncs everything; resolves to the digests.
#[napi]
pub fn snapshot_copy(
  src: String,
  dest: String,
  listing: RawSnapshotListing,
) -> AsyncTask<SnapshotCopyTask> {
  // Converted here; an invalid listing rejects the Promise.
  let listing = listing_from_raw(&listing);
  SnapshotCopyTask::start(move || {
    let listing = listing.as_ref().map_err(Clone::clone)?;
    let out = engine::snapshot_copy(Path::new(&src), Path::new(&dest), listing)?;
    Ok(out.into_iter().map(RawSnapshotDigest::from).collect())
  })
}
