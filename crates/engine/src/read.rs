//! `readState` and `verifyState`: parse + check the manifest, then check every listed file's size and
//! XXH3 in parallel, and report files the manifest does not list.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;

use rayon::prelude::*;
use xxhash_rust::xxh3::Xxh3Default;

use crate::error::{Code, EngineError, IoContext, Result};
use crate::fsutil::{
  open_in_state, read_manifest_bytes, resolve, walk, EntryKind, InStateError, ManifestReadError,
};
use crate::hash::{hash_reader, hex, xxh3_hex};
use crate::manifest::{parse_manifest, Manifest, ManifestFile, MANIFEST_NAME};
use crate::pool;

/// Kinds of problems (`FaultKind` in src/backend/types.ts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
  Missing,
  Size,
  Checksum,
  Unexpected,
  Unreadable,
}

impl Fault {
  pub fn as_str(self) -> &'static str {
    match self {
      Fault::Missing => "missing",
      Fault::Size => "size",
      Fault::Checksum => "checksum",
      Fault::Unexpected => "unexpected",
      Fault::Unreadable => "unreadable",
    }
  }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
  /// Relative path within the state.
  pub path: String,
  pub fault: Fault,
  pub detail: String,
}

#[derive(Debug, Clone)]
pub struct VerifyReport {
  pub manifest: Manifest,
  /// Sorted by path.
  pub problems: Vec<Problem>,
}

#[derive(Debug)]
pub struct ReadResult {
  pub manifest: Manifest,
  pub problems: Vec<Problem>,
  /// `(path, contents)` in manifest order; empty when there are problems.
  pub files: Vec<(String, Vec<u8>)>,
}

/// Reads and parses `<dir>/manifest.json`. ENOENT if `dir` is missing, ENOTSTATE if it is not a
/// directory or has no manifest, EBADMANIFEST / ENEWERFORMAT for a rejected manifest.
pub fn load_manifest(dir: &Path) -> Result<Manifest> {
  let meta = fs::metadata(dir).ctx("stat", dir)?;
  if !meta.is_dir() {
    return Err(EngineError::new(
      Code::NotState,
      format!("'{}': not a directory", dir.display()),
    ));
  }
  let mpath = dir.join(MANIFEST_NAME);
  let bytes = match read_manifest_bytes(dir) {
    Ok(b) => b,
    Err(ManifestReadError::NotFound) => {
      return Err(EngineError::new(
        Code::NotState,
        format!("'{}': no manifest.json", dir.display()),
      ))
    }
    Err(ManifestReadError::Refused(reason)) => {
      return Err(EngineError::new(
        Code::BadManifest,
        format!("'{}': {reason}", dir.display()),
      ))
    }
    Err(ManifestReadError::Io(e)) => return Err(e).ctx("read", &mpath),
  };
  parse_manifest(&bytes)
    .map_err(|e| EngineError::new(e.code, format!("'{}': {}", dir.display(), e.reason)))
}

fn problem(path: &str, fault: Fault, detail: String) -> Problem {
  Problem {
    path: path.to_owned(),
    fault,
    detail,
  }
}

fn os_detail(e: &io::Error) -> String {
  e.to_string()
}

/// Detail of a listed file reached through a symlinked or non-directory path component.
pub const OUTSIDE_DETAIL: &str = "a directory on its path is a symlink or not a directory";

/// Opens a listed file without leaving the state and checks that it is a regular file of the
/// expected size. `Err` is the problem found.
fn open_checked(dir: &Path, f: &ManifestFile) -> std::result::Result<File, Problem> {
  let (file, len) = match open_in_state(dir, &f.path) {
    Ok(x) => x,
    Err(InStateError::NotFound) => {
      return Err(problem(
        &f.path,
        Fault::Missing,
        "listed in the manifest but not found".into(),
      ))
    }
    Err(InStateError::OutsidePath) => {
      return Err(problem(&f.path, Fault::Unreadable, OUTSIDE_DETAIL.into()))
    }
    Err(InStateError::NotRegular) => {
      return Err(problem(
        &f.path,
        Fault::Unreadable,
        "not a regular file".into(),
      ))
    }
    Err(InStateError::Io(e)) => return Err(problem(&f.path, Fault::Unreadable, os_detail(&e))),
  };
  if len != f.size {
    return Err(problem(
      &f.path,
      Fault::Size,
      format!("expected {} bytes, found {}", f.size, len),
    ));
  }
  Ok(file)
}

fn checksum_problem(f: &ManifestFile, found: &str) -> Option<Problem> {
  (found != f.xxh3).then(|| {
    problem(
      &f.path,
      Fault::Checksum,
      format!("expected xxh3 {}, found {}", f.xxh3, found),
    )
  })
}

/// Files and symlinks below `dir` that the manifest does not list (the root manifest excluded).
fn unexpected(dir: &Path, manifest: &Manifest) -> Result<Vec<Problem>> {
  let listed: HashSet<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
  let entries = match walk(dir) {
    Ok(e) => e,
    // A name that is not UTF-8 cannot be listed: report it instead of failing the whole check.
    Err(e) if e.code == Code::BadEntry => {
      return Ok(vec![problem("", Fault::Unexpected, e.message)]);
    }
    Err(e) => return Err(e),
  };
  Ok(
    entries
      .into_iter()
      .filter(|e| {
        e.kind != EntryKind::Dir && e.rel != MANIFEST_NAME && !listed.contains(e.rel.as_str())
      })
      .map(|e| {
        problem(
          &e.rel,
          Fault::Unexpected,
          "not listed in the manifest".into(),
        )
      })
      .collect(),
  )
}

fn sort_problems(problems: &mut [Problem]) {
  problems.sort_by(|a, b| {
    a.path
      .as_bytes()
      .cmp(b.path.as_bytes())
      .then(a.fault.cmp(&b.fault))
  });
}

enum FileOutcome {
  Ok(Vec<u8>),
  Bad(Problem),
}

/// Files at least this large are read by [`read_hashed`].
const PIECE_READ_MIN: u64 = 1 << 20;
/// A piece of [`read_hashed`]: small enough to be hashed while still in the CPU's cache.
const READ_PIECE: usize = 256 << 10;

/// `len` zero bytes, or None when out of memory. Large zeroed allocations come as fresh pages, zero
/// without being written (the reads fault them in).
fn zeroed(len: usize) -> Option<Vec<u8>> {
  if len == 0 {
    return Some(Vec::new());
  }
  let layout = std::alloc::Layout::array::<u8>(len).ok()?;
  // SAFETY: `layout` has a non-zero size; the pointer, when not null, is a zeroed allocation of
  // `len` bytes with u8's alignment made by the global allocator, as Vec::from_raw_parts requires.
  unsafe {
    let p = std::alloc::alloc_zeroed(layout);
    (!p.is_null()).then(|| Vec::from_raw_parts(p, len, len))
  }
}

/// Reads a file of the expected size into one buffer, on two of the pool's threads: one reads the
/// first half in [`READ_PIECE`]s and hashes each piece right after reading it (while it is in cache),
/// the other reads the second half meanwhile, which the first then hashes. Checks the hash. None when
/// the file did not read back as `f.size` bytes (it changed meanwhile: the plain read then tells how).
#[cfg(unix)]
fn read_hashed(file: &File, f: &ManifestFile) -> Option<FileOutcome> {
  use std::os::unix::fs::FileExt;
  let len = usize::try_from(f.size).ok()?;
  let Some(mut buf) = zeroed(len) else {
    return Some(FileOutcome::Bad(problem(
      &f.path,
      Fault::Unreadable,
      "out of memory".into(),
    )));
  };
  let half = len / 2 / READ_PIECE * READ_PIECE;
  let mut hasher = Xxh3Default::new();
  let (first, second) = buf.split_at_mut(half);
  let read_into =
    |part: &mut [u8], at: usize, hasher: Option<&mut Xxh3Default>| -> io::Result<()> {
      match hasher {
        Some(h) => {
          for (k, piece) in part.chunks_mut(READ_PIECE).enumerate() {
            file.read_exact_at(piece, (at + k * READ_PIECE) as u64)?;
            h.update(piece);
          }
          Ok(())
        }
        None => file.read_exact_at(part, at as u64),
      }
    };
  let (a, b) = rayon::join(
    || read_into(first, 0, Some(&mut hasher)),
    || read_into(second, half, None),
  );
  for r in [a, b] {
    match r {
      Ok(()) => {}
      Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return None,
      Err(e) => {
        return Some(FileOutcome::Bad(problem(
          &f.path,
          Fault::Unreadable,
          os_detail(&e),
        )))
      }
    }
  }
  hasher.update(&buf[half..]);
  // A file that grew is not the one the manifest lists.
  let mut probe = [0u8; 1];
  match file.read_at(&mut probe, f.size) {
    Ok(0) => {}
    Ok(_) => return None,
    Err(e) => {
      return Some(FileOutcome::Bad(problem(
        &f.path,
        Fault::Unreadable,
        os_detail(&e),
      )))
    }
  }
  Some(match checksum_problem(f, &hex(hasher.digest())) {
    Some(p) => FileOutcome::Bad(p),
    None => FileOutcome::Ok(buf),
  })
}

#[cfg(not(unix))]
fn read_hashed(_file: &File, _f: &ManifestFile) -> Option<FileOutcome> {
  None
}

fn read_one(dir: &Path, f: &ManifestFile) -> FileOutcome {
  let mut file = match open_checked(dir, f) {
    Ok(file) => file,
    Err(p) => return FileOutcome::Bad(p),
  };
  if f.size >= PIECE_READ_MIN {
    if let Some(outcome) = read_hashed(&file, f) {
      return outcome;
    }
  }
  let mut buf = Vec::new();
  if buf.try_reserve_exact(f.size as usize).is_err() {
    return FileOutcome::Bad(problem(&f.path, Fault::Unreadable, "out of memory".into()));
  }
  if let Err(e) = file.read_to_end(&mut buf) {
    return FileOutcome::Bad(problem(&f.path, Fault::Unreadable, os_detail(&e)));
  }
  if buf.len() as u64 != f.size {
    return FileOutcome::Bad(problem(
      &f.path,
      Fault::Size,
      format!("expected {} bytes, found {}", f.size, buf.len()),
    ));
  }
  match checksum_problem(f, &xxh3_hex(&buf)) {
    Some(p) => FileOutcome::Bad(p),
    None => FileOutcome::Ok(buf),
  }
}

fn verify_one(dir: &Path, f: &ManifestFile) -> Option<Problem> {
  let mut file = match open_checked(dir, f) {
    Ok(file) => file,
    Err(p) => return Some(p),
  };
  let p = dir.join(&f.path);
  match hash_reader(&mut file, &p) {
    Ok(d) if d.size != f.size => Some(problem(
      &f.path,
      Fault::Size,
      format!("expected {} bytes, found {}", f.size, d.size),
    )),
    Ok(d) => checksum_problem(f, &d.xxh3),
    Err(e) => Some(problem(&f.path, Fault::Unreadable, e.message)),
  }
}

/// Parses the manifest, reads every listed file in parallel and checks it.
pub fn read_state(dir: &Path) -> Result<ReadResult> {
  let dir = &resolve(dir);
  let manifest = load_manifest(dir)?;
  let outcomes: Vec<FileOutcome> = pool::install(|| {
    manifest
      .files
      .par_iter()
      .map(|f| read_one(dir, f))
      .collect()
  })?;
  let mut problems = unexpected(dir, &manifest)?;
  let mut files = Vec::with_capacity(outcomes.len());
  for (f, o) in manifest.files.iter().zip(outcomes) {
    match o {
      FileOutcome::Ok(bytes) => files.push((f.path.clone(), bytes)),
      FileOutcome::Bad(p) => problems.push(p),
    }
  }
  if !problems.is_empty() {
    files.clear();
  }
  sort_problems(&mut problems);
  Ok(ReadResult {
    manifest,
    problems,
    files,
  })
}

/// The checks of [`read_state`], streaming, without keeping contents.
pub fn verify_state(dir: &Path) -> Result<VerifyReport> {
  let dir = &resolve(dir);
  let manifest = load_manifest(dir)?;
  let found: Vec<Option<Problem>> = pool::install(|| {
    manifest
      .files
      .par_iter()
      .map(|f| verify_one(dir, f))
      .collect()
  })?;
  let mut problems = unexpected(dir, &manifest)?;
  problems.extend(found.into_iter().flatten());
  sort_problems(&mut problems);
  Ok(VerifyReport { manifest, problems })
}
