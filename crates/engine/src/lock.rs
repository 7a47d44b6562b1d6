//! The OS half of the states-directory lock: a claim file created fresh and held under an advisory
//! lock (`flock` on Unix, `LockFileEx` on Windows) for as long as its [`ClaimLock`] lives, and a probe
//! that tells whether some process still holds a claim file's lock.
//!
//! The exclusion protocol itself (claim files `.pamiq.lock.<id>` in the states directory, back off on
//! any other live claim) is in `src/state/lock.ts`, shared by both backends; see docs/engine.md,
//! "The states-directory lock". The kernel drops the lock when the holding process dies, whatever
//! its pid becomes later and whichever container or pid namespace it ran in, so a probe that finds
//! the lock free proves the claim's holder is gone.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::Path;

use crate::error::{Code, EngineError, IoContext, Result};

/// A claim file created by this process and held under a shared advisory lock until dropped.
///
/// The holder takes a *shared* lock and probes take an *exclusive* one: the two conflict, and a shared
/// lock leaves the file readable on platforms with mandatory byte-range locks (Windows).
#[derive(Debug)]
pub struct ClaimLock {
  file: Option<File>,
}

impl ClaimLock {
  /// Creates `path` (which must not exist: `O_CREAT|O_EXCL`, so a symlink planted at `path` is never
  /// followed), writes `contents`, fsyncs it and takes its lock.
  ///
  /// Errors: EEXIST when `path` exists (as a file, directory or symlink); EIO for any other OS
  /// failure, or when the lock cannot be taken (the file is then removed).
  pub fn create(path: &Path, contents: &[u8]) -> Result<ClaimLock> {
    let mut file = OpenOptions::new()
      .write(true)
      .create_new(true)
      .open(path)
      .ctx("create lock file", path)?;
    let done = (|| -> Result<()> {
      file.write_all(contents).ctx("write", path)?;
      file.sync_all().ctx("fsync", path)?;
      match file.try_lock_shared() {
        Ok(()) => Ok(()),
        Err(TryLockError::WouldBlock) => Err(EngineError::new(
          Code::Io,
          format!(
            "lock '{}': a fresh file is locked by another process",
            path.display()
          ),
        )),
        Err(TryLockError::Error(e)) => Err(e).ctx("lock", path),
      }
    })();
    match done {
      Ok(()) => Ok(ClaimLock { file: Some(file) }),
      Err(e) => {
        drop(file);
        let _ = fs::remove_file(path);
        Err(e)
      }
    }
  }

  /// Drops the lock (closes the file). Idempotent. The caller unlinks the claim's name first, so a
  /// probe never sees the lock free while the name is still the holder's.
  pub fn release(&mut self) {
    self.file = None;
  }

  /// True until [`ClaimLock::release`].
  pub fn held(&self) -> bool {
    self.file.is_some()
  }
}

/// What [`probe`] found at a claim's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
  /// A process holds the file's lock: the claim is live.
  Held,
  /// Nobody holds the lock: a claim written under a lock has lost its holder.
  Free,
  /// Nothing at the path (released or removed meanwhile).
  Missing,
  /// A symlink, directory or special file: never opened.
  NotAFile,
}

impl Probe {
  /// `held`, `free`, `missing` or `not-a-file`.
  pub fn as_str(self) -> &'static str {
    match self {
      Probe::Held => "held",
      Probe::Free => "free",
      Probe::Missing => "missing",
      Probe::NotAFile => "not-a-file",
    }
  }
}

/// Whether a process holds the advisory lock of the regular file at `path`. The path is checked with
/// `lstat` first, so a symlink or FIFO planted there is reported, never followed or opened. Takes the
/// exclusive lock for an instant when it is free (nobody else ever locks a released claim).
///
/// Errors: EIO when the file cannot be opened or the lock state cannot be queried.
pub fn probe(path: &Path) -> Result<Probe> {
  match fs::symlink_metadata(path) {
    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Probe::Missing),
    Err(e) => return Err(e).ctx("stat", path),
    Ok(m) if !m.file_type().is_file() => return Ok(Probe::NotAFile),
    Ok(_) => {}
  }
  let file = match File::open(path) {
    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Probe::Missing),
    r => r.ctx("open lock file", path)?,
  };
  match file.try_lock() {
    Ok(()) => Ok(Probe::Free),
    Err(TryLockError::WouldBlock) => Ok(Probe::Held),
    Err(TryLockError::Error(e)) => Err(e).ctx("lock", path),
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn held_until_released() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(".pamiq.lock.a");
    let mut lock = ClaimLock::create(&p, b"{}").unwrap();
    assert_eq!(fs::read(&p).unwrap(), b"{}");
    assert_eq!(probe(&p).unwrap(), Probe::Held);
    assert_eq!(ClaimLock::create(&p, b"{}").unwrap_err().code, Code::Exists);
    lock.release();
    assert!(!lock.held());
    assert_eq!(probe(&p).unwrap(), Probe::Free);
    fs::remove_file(&p).unwrap();
    assert_eq!(probe(&p).unwrap(), Probe::Missing);
  }

  #[cfg(unix)]
  #[test]
  fn never_follows_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    fs::write(&outside, b"keep").unwrap();
    let p = dir.path().join(".pamiq.lock.b");
    std::os::unix::fs::symlink(&outside, &p).unwrap();
    assert_eq!(ClaimLock::create(&p, b"{}").unwrap_err().code, Code::Exists);
    assert_eq!(probe(&p).unwrap(), Probe::NotAFile);
    assert_eq!(fs::read(&outside).unwrap(), b"keep");
  }
}
