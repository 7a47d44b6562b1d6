//! The streaming file writer behind `createWriter(path)`: exclusive create, writes in order through a
//! bounce buffer (each chunk is copied once, then hashed and written from the copy, so the hash always
//! matches the bytes on disk even if the caller mutates its memory during the write), incremental
//! XXH3, fsync at `finish`.
//!
//! Test-only fault hook (shared with the TypeScript twin): when the environment variable
//! `PAMIQ_FAULT_ENOSPC_AFTER_BYTES=N` is set at the moment a writer is created, that writer fails with
//! `EIO` "No space left on device (injected)" as soon as the bytes written by all writers of the
//! process together would exceed `N`. The bytes up to `N` are still written (like a disk filling up),
//! and the writer stays failed afterwards. Writers created without the variable never fail this way,
//! but their bytes count towards the process total (bytes actually written, as in the twin).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use xxhash_rust::xxh3::Xxh3Default;

use crate::error::{Code, EngineError, IoContext, Result};
use crate::fsutil::start_write_out;
use crate::hash::{hex, Digest};

/// Name of the fault-injection variable (see the module docs).
pub const FAULT_ENV: &str = "PAMIQ_FAULT_ENOSPC_AFTER_BYTES";

/// Size of a writer's bounce buffer: appended bytes are copied into it, hashed from it and written
/// from it, a buffer at a time.
pub const BOUNCE_BYTES: usize = 256 << 10;

/// Every this many bytes written, the writer starts their write-out to the disk.
pub const WRITE_OUT_BYTES: u64 = 8 << 20;

/// Bytes written by all writers of this process.
static WRITTEN_TOTAL: AtomicU64 = AtomicU64::new(0);

fn fault_limit_from_env() -> Option<u64> {
  std::env::var(FAULT_ENV).ok()?.trim().parse::<u64>().ok()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
  /// Not opened yet: the file is created by the first append (or by finish).
  Fresh,
  Open,
  Finished,
  Aborted,
}

/// A streaming writer of one new file.
pub struct Writer {
  path: PathBuf,
  file: Option<File>,
  state: State,
  /// True once this writer created the file (abort then unlinks it).
  created: bool,
  hasher: Box<Xxh3Default>,
  /// Bytes written to the file so far (the digest's size).
  size: u64,
  fault_limit: Option<u64>,
  failed: Option<EngineError>,
  /// The snapshot of the caller's bytes being hashed and written (at most [`BOUNCE_BYTES`]).
  bounce: Vec<u8>,
  /// Bytes written whose write-out to the disk has been started (see [`WRITE_OUT_BYTES`]).
  started: u64,
}

impl Writer {
  /// A writer of `path`. Nothing touches the disk until the first append; the fault variable is read
  /// here.
  pub fn new(path: impl Into<PathBuf>) -> Writer {
    Writer::with_fault_limit(path, fault_limit_from_env())
  }

  /// Same as [`Writer::new`] with an explicit fault limit (tests).
  pub fn with_fault_limit(path: impl Into<PathBuf>, fault_limit: Option<u64>) -> Writer {
    Writer {
      path: path.into(),
      file: None,
      state: State::Fresh,
      created: false,
      hasher: Box::new(Xxh3Default::new()),
      size: 0,
      fault_limit,
      failed: None,
      bounce: Vec::new(),
      started: 0,
    }
  }

  pub fn path(&self) -> &Path {
    &self.path
  }

  fn check_usable(&self) -> Result<()> {
    if let Some(e) = &self.failed {
      return Err(e.clone());
    }
    match self.state {
      State::Fresh | State::Open => Ok(()),
      State::Finished => Err(EngineError::new(
        Code::Io,
        format!(
          "write '{}': the writer is already finished",
          self.path.display()
        ),
      )),
      State::Aborted => Err(EngineError::new(
        Code::Io,
        format!(
          "write '{}': the writer is already aborted",
          self.path.display()
        ),
      )),
    }
  }

  fn open(&mut self) -> Result<()> {
    if self.state == State::Fresh {
      let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&self.path)
        .ctx("open", &self.path)?;
      self.file = Some(file);
      self.created = true;
      self.state = State::Open;
    }
    Ok(())
  }

  fn fail(&mut self, e: EngineError) -> EngineError {
    self.failed = Some(e.clone());
    e
  }

  /// Writes `segments` in order (vectored, no concatenation) and hashes them.
  pub fn append<S: AsRef<[u8]>>(&mut self, segments: &[S]) -> Result<()> {
    self.check_usable()?;
    if let Err(e) = self.open() {
      return Err(self.fail(e));
    }
    let total: u64 = segments.iter().map(|s| s.as_ref().len() as u64).sum();
    if self.bounce.capacity() == 0 && total > 0 {
      // Small files get a small buffer; large ones the full one.
      self
        .bounce
        .reserve_exact(total.min(BOUNCE_BYTES as u64) as usize);
    }
    let mut allowed = total;
    let mut injected = false;
    match self.fault_limit {
      // Reserve what may still be written before the limit, atomically across writers.
      Some(limit) => {
        let prev = WRITTEN_TOTAL
          .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |cur| {
            Some(cur.saturating_add(total.min(limit.saturating_sub(cur))))
          })
          .unwrap_or_else(|cur| cur);
        if prev.saturating_add(total) > limit {
          allowed = limit.saturating_sub(prev).min(total);
          injected = true;
        }
      }
      None => {
        WRITTEN_TOTAL.fetch_add(total, Ordering::SeqCst);
      }
    }
    // Each byte is copied once into the bounce buffer, then hashed and written from that copy: what
    // is hashed is exactly what is written, even if the caller's memory changes meanwhile.
    let mut budget = allowed;
    let mut result = Ok(());
    'outer: for s in segments {
      let mut s = s.as_ref();
      while !s.is_empty() {
        if budget == 0 {
          break 'outer;
        }
        let room = BOUNCE_BYTES - self.bounce.len();
        let take = (s.len() as u64).min(budget).min(room as u64) as usize;
        let (head, rest) = s.split_at(take);
        self.bounce.extend_from_slice(head);
        budget -= take as u64;
        s = rest;
        if self.bounce.len() == BOUNCE_BYTES {
          result = self.flush_bounce();
          if result.is_err() {
            break 'outer;
          }
        }
      }
    }
    if result.is_ok() {
      result = self.flush_bounce();
    }
    if let Err(e) = result {
      return Err(self.fail(e));
    }
    if injected {
      let e = EngineError::new(
        Code::Io,
        format!(
          "write '{}': No space left on device (injected)",
          self.path.display()
        ),
      );
      return Err(self.fail(e));
    }
    Ok(())
  }

  /// Hashes and writes the bounce buffer's bytes, then empties it.
  fn flush_bounce(&mut self) -> Result<()> {
    if self.bounce.is_empty() {
      return Ok(());
    }
    self.hasher.update(&self.bounce);
    let len = self.bounce.len();
    let r = match self.file.as_mut() {
      Some(file) => file.write_all(&self.bounce).ctx("write", &self.path),
      None => Err(EngineError::new(
        Code::Io,
        format!("write '{}': not open", self.path.display()),
      )),
    };
    self.bounce.clear();
    if r.is_ok() {
      self.note_written(len as u64);
    }
    r
  }

  /// After each [`WRITE_OUT_BYTES`] written, starts their write-out to the disk
  /// ([`start_write_out`]): the disk then works while later bytes are still being copied and
  /// hashed, and `finish`'s fsync has less left to wait for. Durability still comes from that fsync.
  fn note_written(&mut self, len: u64) {
    self.size += len;
    if self.size - self.started >= WRITE_OUT_BYTES {
      if let Some(file) = self.file.as_ref() {
        start_write_out(file, self.started, self.size - self.started);
      }
      self.started = self.size;
    }
  }

  /// Fsyncs and closes the file (creating it empty if nothing was appended); returns size and hash.
  pub fn finish(&mut self) -> Result<Digest> {
    self.check_usable()?;
    if let Err(e) = self.open() {
      return Err(self.fail(e));
    }
    if let Some(file) = self.file.take() {
      if let Err(e) = file.sync_all().ctx("fsync", &self.path) {
        return Err(self.fail(e));
      }
    }
    self.state = State::Finished;
    Ok(Digest {
      size: self.size,
      xxh3: hex(self.hasher.digest()),
    })
  }

  /// Closes the file and unlinks it if this writer created it. Never fails. After a successful
  /// `finish` the file belongs to the caller and abort does nothing.
  pub fn abort(&mut self) {
    if self.state == State::Finished {
      return;
    }
    self.file = None;
    if self.created {
      let _ = fs::remove_file(&self.path);
      self.created = false;
    }
    self.state = State::Aborted;
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use crate::hash::xxh3_hex;

  #[test]
  fn writes_in_order_and_hashes() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("f.bin");
    let mut w = Writer::with_fault_limit(&p, None);
    w.append(&[&b"hello"[..], b" ", b""]).unwrap();
    w.append(&[b"world".to_vec()]).unwrap();
    let dg = w.finish().unwrap();
    assert_eq!(fs::read(&p).unwrap(), b"hello world");
    assert_eq!(dg.size, 11);
    assert_eq!(dg.xxh3, xxh3_hex(b"hello world"));
    assert_eq!(w.append(&[b"x"]).unwrap_err().code, Code::Io);
  }

  #[test]
  fn many_segments() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("f.bin");
    let segs: Vec<Vec<u8>> = (0..5000u32).map(|i| i.to_le_bytes().to_vec()).collect();
    let mut w = Writer::with_fault_limit(&p, None);
    w.append(&segs).unwrap();
    let dg = w.finish().unwrap();
    let all: Vec<u8> = segs.concat();
    assert_eq!(fs::read(&p).unwrap(), all);
    assert_eq!(dg.xxh3, xxh3_hex(&all));
  }

  /// Appends of odd sizes across many bounce buffers and several early write-outs: the file and its
  /// digest are those of the bytes, and the write-out ranges cover what was written.
  #[test]
  fn large_appends_across_write_outs() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("big.bin");
    let total = (2 * WRITE_OUT_BYTES + 3 * BOUNCE_BYTES as u64 + 12_345) as usize;
    let all: Vec<u8> = (0..total).map(|i| (i * 131 + (i >> 11)) as u8).collect();
    let mut w = Writer::with_fault_limit(&p, None);
    let mut at = 0;
    for (k, step) in [1, BOUNCE_BYTES - 1, 7 << 20, 3, 5 << 20]
      .iter()
      .cycle()
      .enumerate()
    {
      if at == total {
        break;
      }
      let end = (at + step).min(total);
      // Split some appends into two segments, as a record batch arrives.
      if k % 2 == 0 && end - at > 1 {
        let mid = at + (end - at) / 2;
        w.append(&[&all[at..mid], &all[mid..end]]).unwrap();
      } else {
        w.append(&[&all[at..end]]).unwrap();
      }
      at = end;
    }
    assert!(w.started >= 2 * WRITE_OUT_BYTES && w.started <= w.size);
    assert_eq!(w.size, total as u64);
    let dg = w.finish().unwrap();
    assert_eq!(dg.size, total as u64);
    assert_eq!(dg.xxh3, xxh3_hex(&all));
    assert!(
      fs::read(&p).unwrap() == all,
      "the file differs from the bytes appended"
    );
  }

  #[test]
  fn exclusive_create_and_abort() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("f.bin");
    fs::write(&p, b"old").unwrap();
    let mut w = Writer::with_fault_limit(&p, None);
    assert_eq!(w.append(&[b"x"]).unwrap_err().code, Code::Exists);
    w.abort();
    assert_eq!(
      fs::read(&p).unwrap(),
      b"old",
      "abort must not unlink a file it did not create"
    );
    let q = d.path().join("g.bin");
    let mut w = Writer::with_fault_limit(&q, None);
    w.append(&[b"x"]).unwrap();
    w.abort();
    assert!(!q.exists());
  }

  #[test]
  fn abort_after_finish_keeps_the_file() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("kept");
    let mut w = Writer::with_fault_limit(&p, None);
    w.append(&[b"abc"]).unwrap();
    w.finish().unwrap();
    w.abort();
    assert_eq!(fs::read(&p).unwrap(), b"abc");
  }

  #[test]
  fn empty_finish_creates_file() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("e");
    let dg = Writer::with_fault_limit(&p, None).finish().unwrap();
    assert_eq!(
      dg,
      Digest {
        size: 0,
        xxh3: xxh3_hex(b"")
      }
    );
    assert!(p.is_file());
  }

  #[test]
  fn injected_enospc() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("f");
    let base = WRITTEN_TOTAL.load(Ordering::SeqCst);
    // Other tests write concurrently; a limit far below the current total fails at once.
    let mut w = Writer::with_fault_limit(&p, Some(base / 2));
    let e = w.append(&[vec![1u8; 10]]).unwrap_err();
    assert_eq!(e.code, Code::Io);
    assert!(e.message.contains("No space left on device (injected)"));
    assert!(e.message.contains("'"));
    assert_eq!(w.finish().unwrap_err(), e);
    w.abort();
    assert!(!p.exists());
  }
}
