//! `snapshotClone` / `snapshotCopy`: a component's own directory tree copied into a state, in two
//! phases (docs/engine.md, "Directory snapshots").
//!
//! * [`snapshot_clone`] runs while the loops are paused: it lists the tree (sizes and modification
//!   times), creates the directories under `dest`, and clones every file copy-on-write (Linux `FICLONE`)
//!   when the file system can — a clone is the file's content at that moment, whatever happens to the
//!   source later. When the first clone is refused (the file system has no reflinks), no file is cloned.
//! * [`snapshot_copy`] runs after the loops resumed: it copies the files that were not cloned (in the
//!   kernel, then hashing the copy; many files at once on an I/O pool), checks that each
//!   copied source still has the size and modification time listed at the pause (else `EIO` "changed
//!   while being snapshotted"), hashes the clones, makes everything durable and returns the digests.
//!   On Linux durability is one `syncfs` of the destination's file system once every file is written
//!   (what `cp -r` + `sync` does, without one journal commit per file); elsewhere, or when `syncfs`
//!   fails, every file and directory is fsynced.
//!
//! File work runs on a pool of its own with more threads than cores: copying many files is bound by
//! system calls and the disk, not by the CPU.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use rayon::prelude::*;
use xxhash_rust::xxh3::Xxh3Default;

use crate::error::{Code, EngineError, IoContext, Result};
use crate::fsutil::{resolve, start_write_out, sync_dir, walk, EntryKind};
use crate::hash::{hash_reader, hex, Digest};
use crate::writer::WRITE_OUT_BYTES;

const CHUNK: usize = 1 << 20;

static IO_POOL: std::sync::OnceLock<std::result::Result<rayon::ThreadPool, String>> =
  std::sync::OnceLock::new();

/// Runs `f` on the snapshot I/O pool: `clamp(4 × cores, 8, 32)` threads, built once.
fn io_install<R: Send>(f: impl FnOnce() -> R + Send) -> Result<R> {
  let built = IO_POOL.get_or_init(|| {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    rayon::ThreadPoolBuilder::new()
      .num_threads((cores * 4).clamp(8, 32))
      .thread_name(|i| format!("pamiq-snapshot-{i}"))
      .build()
      .map_err(|e| e.to_string())
  });
  match built {
    Ok(pool) => Ok(pool.install(f)),
    Err(e) => Err(EngineError::new(
      Code::Io,
      format!("cannot start the snapshot thread pool: {e}"),
    )),
  }
}

/// Flushes the whole file system holding `dir` (Linux `syncfs`). False when it is not available.
#[cfg(target_os = "linux")]
fn syncfs(dir: &Path) -> bool {
  use std::os::fd::AsRawFd;
  let Ok(d) = File::open(dir) else {
    return false;
  };
  // SAFETY: `d` is an open descriptor for the duration of the call.
  unsafe { libc::syncfs(d.as_raw_fd()) == 0 }
}

#[cfg(not(target_os = "linux"))]
fn syncfs(_dir: &Path) -> bool {
  false
}

/// One file of a snapshot, as listed during the pause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotEntry {
  /// Relative to the source root, `/`-separated.
  pub path: String,
  pub size: u64,
  /// Modification time in nanoseconds since the epoch, decimal.
  pub mtime_ns: String,
  /// True when the file was cloned into `dest` already.
  pub cloned: bool,
}

/// The listing of a snapshot: directories (parents first) and files, both sorted by path bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotListing {
  pub dirs: Vec<String>,
  pub files: Vec<SnapshotEntry>,
}

/// A copied file's digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotDigest {
  pub path: String,
  pub digest: Digest,
}

fn join_rel(root: &Path, rel: &str) -> PathBuf {
  rel
    .split('/')
    .fold(root.to_path_buf(), |p, part| p.join(part))
}

fn mtime_ns(meta: &fs::Metadata, path: &Path) -> Result<String> {
  let t = meta.modified().ctx("stat", path)?;
  let ns = match t.duration_since(UNIX_EPOCH) {
    Ok(d) => d.as_nanos() as i128,
    Err(e) => -(e.duration().as_nanos() as i128),
  };
  Ok(ns.to_string())
}

/// Clones `src` onto the new file `dst` copy-on-write. `Ok(false)` when the file system cannot.
#[cfg(target_os = "linux")]
fn clone_file(src: &Path, dst: &Path) -> Result<bool> {
  use std::os::fd::AsRawFd;
  let from = File::open(src).ctx("open", src)?;
  let to = OpenOptions::new()
    .write(true)
    .create_new(true)
    .open(dst)
    .ctx("open", dst)?;
  // SAFETY: both descriptors are open for the duration of the call; FICLONE takes the source fd.
  let rc = unsafe { libc::ioctl(to.as_raw_fd(), libc::FICLONE, from.as_raw_fd()) };
  if rc == 0 {
    return Ok(true);
  }
  let err = std::io::Error::last_os_error();
  drop(to);
  let _ = fs::remove_file(dst);
  match err.raw_os_error() {
    Some(libc::EOPNOTSUPP)
    | Some(libc::EXDEV)
    | Some(libc::EINVAL)
    | Some(libc::ENOTTY)
    | Some(libc::ENOSYS) => Ok(false),
    _ => Err(EngineError::io(&err, "clone", dst)),
  }
}

#[cfg(not(target_os = "linux"))]
fn clone_file(_src: &Path, _dst: &Path) -> Result<bool> {
  Ok(false)
}

/// Phase one (during the pause): lists `src`, creates `dest` and its directories, clones the files
/// where the file system can. `dest` must not exist; `src` must be a directory holding only
/// directories and regular files.
pub fn snapshot_clone(src: &Path, dest: &Path) -> Result<SnapshotListing> {
  let src = &resolve(src);
  let dest = &resolve(dest);
  let meta = fs::metadata(src).ctx("stat", src)?;
  if !meta.is_dir() {
    return Err(EngineError::new(
      Code::InvalidArg,
      format!("snapshot: '{}' is not a directory", src.display()),
    ));
  }
  if dest.starts_with(src) {
    return Err(EngineError::new(
      Code::InvalidArg,
      format!(
        "snapshot: the destination '{}' lies inside the source '{}'",
        dest.display(),
        src.display()
      ),
    ));
  }
  let mut dirs = Vec::new();
  let mut rels = Vec::new();
  for e in walk(src)? {
    match e.kind {
      EntryKind::Dir => dirs.push(e.rel),
      EntryKind::File => rels.push(e.rel),
      EntryKind::Other => {
        return Err(EngineError::new(
          Code::BadEntry,
          format!(
            "snapshot: '{}' is not a regular file or directory (symlink or special file)",
            join_rel(src, &e.rel).display()
          ),
        ))
      }
    }
  }
  dirs.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
  rels.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
  if let Some(parent) = dest.parent() {
    fs::create_dir_all(parent).ctx("mkdir", parent)?;
  }
  fs::create_dir(dest).ctx("mkdir", dest)?;
  for d in &dirs {
    let p = join_rel(dest, d);
    fs::create_dir(&p).ctx("mkdir", &p)?;
  }
  // The first file decides whether this file system clones; the rest follow in parallel.
  let clones = match rels.first() {
    Some(first) => clone_file(&join_rel(src, first), &join_rel(dest, first))?,
    None => false,
  };
  let files = io_install(|| {
    rels
      .par_iter()
      .enumerate()
      .map(|(i, rel)| {
        let from = join_rel(src, rel);
        let m = fs::symlink_metadata(&from).ctx("stat", &from)?;
        let cloned = clones && (i == 0 || clone_file(&from, &join_rel(dest, rel))?);
        Ok(SnapshotEntry {
          path: rel.clone(),
          size: m.len(),
          mtime_ns: mtime_ns(&m, &from)?,
          cloned,
        })
      })
      .collect::<Result<Vec<_>>>()
  })??;
  Ok(SnapshotListing { dirs, files })
}

/// Files at least this big are hashed through a read-only mapping of the copy instead of `read`.
const MAP_MIN: u64 = 256 * 1024;

/// Copies `src` to the new file `dst` (not fsynced) and hashes the copy. The bytes move in the kernel
/// (`std::io::copy` uses `copy_file_range` on Linux); the copy is then hashed through a read-only
/// mapping when large (no copy to user space), with `read` into a per-thread buffer when small.
fn copy_hashed(src: &Path, dst: &Path) -> Result<Digest> {
  let mut from = File::open(src).ctx("open", src)?;
  let mut to = OpenOptions::new()
    .read(true)
    .write(true)
    .create_new(true)
    .open(dst)
    .ctx("open", dst)?;
  let size = std::io::copy(&mut from, &mut to).ctx("copy", dst)?;
  // A large copy goes to the disk while the pool copies and hashes the next files (small ones are
  // left to the one syncfs: starting 50,000 tiny write-outs one by one measured 10-20% slower).
  if size >= WRITE_OUT_BYTES {
    start_write_out(&to, 0, size);
  }
  if size >= MAP_MIN {
    if let Some(d) = hash_mapped(&to, size) {
      return Ok(d);
    }
  }
  to.seek(SeekFrom::Start(0)).ctx("seek", dst)?;
  // One buffer per pool thread: a fresh 1 MiB allocation per file would be an mmap/munmap pair per
  // file, which dominates when copying many small files.
  thread_local! {
    static BUF: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; CHUNK]);
  }
  BUF.with(|cell| {
    let mut buf = cell.borrow_mut();
    let mut hasher = Xxh3Default::new();
    let mut read = 0u64;
    loop {
      let n = match to.read(&mut buf) {
        Ok(0) => break,
        Ok(n) => n,
        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
        Err(e) => return Err(e).ctx("read", dst),
      };
      hasher.update(buf.get(..n).unwrap_or_default());
      read += n as u64;
    }
    Ok(Digest {
      size: read,
      xxh3: hex(hasher.digest()),
    })
  })
}

/// XXH3 of the first `len` bytes of `file` through a read-only shared mapping; None when mapping fails
/// (the caller then reads). Only for files this engine created and nobody else truncates.
#[cfg(target_os = "linux")]
fn hash_mapped(file: &File, len: u64) -> Option<Digest> {
  use std::os::fd::AsRawFd;
  let n = usize::try_from(len).ok()?;
  // SAFETY: a read-only shared mapping of `n` bytes of an open file we created; the slice lives only
  // until munmap below, and no one truncates the file meanwhile (it is inside the state being written).
  unsafe {
    let p = libc::mmap(
      std::ptr::null_mut(),
      n,
      libc::PROT_READ,
      libc::MAP_SHARED,
      file.as_raw_fd(),
      0,
    );
    if p == libc::MAP_FAILED {
      return None;
    }
    libc::madvise(p, n, libc::MADV_SEQUENTIAL);
    let bytes = std::slice::from_raw_parts(p as *const u8, n);
    let digest = Digest {
      size: len,
      xxh3: hex(xxhash_rust::xxh3::xxh3_64(bytes)),
    };
    libc::munmap(p, n);
    Some(digest)
  }
}

#[cfg(not(target_os = "linux"))]
fn hash_mapped(_file: &File, _len: u64) -> Option<Digest> {
  None
}

fn changed(src: &Path, what: &str) -> EngineError {
  EngineError::new(
    Code::Io,
    format!(
      "snapshot: '{}' changed while being snapshotted ({what} differs from the pause)",
      src.display()
    ),
  )
}

/// Phase two (after the pause): copies the files `listing` did not clone, checks they did not change
/// since the listing, hashes and fsyncs every file and directory under `dest`. Digests by path.
pub fn snapshot_copy(
  src: &Path,
  dest: &Path,
  listing: &SnapshotListing,
) -> Result<Vec<SnapshotDigest>> {
  let src = &resolve(src);
  let dest = &resolve(dest);
  let out = io_install(|| {
    listing
      .files
      .par_iter()
      .map(|e| {
        let from = join_rel(src, &e.path);
        let to = join_rel(dest, &e.path);
        let digest = if e.cloned {
          let mut f = File::open(&to).ctx("open", &to)?;
          hash_reader(&mut f, &to)?
        } else {
          let d = copy_hashed(&from, &to)?;
          let m = fs::symlink_metadata(&from).map_err(|_| changed(&from, "existence"))?;
          if m.len() != e.size || d.size != e.size {
            return Err(changed(&from, "size"));
          }
          if mtime_ns(&m, &from)? != e.mtime_ns {
            return Err(changed(&from, "modification time"));
          }
          d
        };
        Ok(SnapshotDigest {
          path: e.path.clone(),
          digest,
        })
      })
      .collect::<Result<Vec<_>>>()
  })??;
  if syncfs(dest) {
    return Ok(out);
  }
  io_install(|| {
    listing
      .files
      .par_iter()
      .map(|e| {
        let to = join_rel(dest, &e.path);
        OpenOptions::new()
          .write(true)
          .open(&to)
          .ctx("open", &to)?
          .sync_all()
          .ctx("fsync", &to)
      })
      .collect::<Result<Vec<()>>>()
  })??;
  // Deepest directories first, then the root.
  let mut dirs: Vec<&String> = listing.dirs.iter().collect();
  dirs.sort_by_key(|d| std::cmp::Reverse(d.matches('/').count()));
  for d in dirs {
    sync_dir(&join_rel(dest, d))?;
  }
  sync_dir(dest)?;
  Ok(out)
}

#[cfg(test)]
mod tests {
  use super::*;
  use crate::hash::xxh3_hex;

  fn tree(root: &Path) {
    fs::create_dir_all(root.join("a/b")).unwrap();
    fs::create_dir_all(root.join("empty")).unwrap();
    fs::write(root.join("top.bin"), b"top").unwrap();
    fs::write(root.join("a/one"), vec![7u8; 3 * CHUNK + 5]).unwrap();
    fs::write(root.join("a/b/zero"), b"").unwrap();
  }

  #[test]
  fn copies_a_tree_with_digests() {
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src");
    tree(&src);
    let dest = d.path().join("out/snap");
    let listing = snapshot_clone(&src, &dest).unwrap();
    assert_eq!(listing.dirs, vec!["a", "a/b", "empty"]);
    let paths: Vec<&str> = listing.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, vec!["a/b/zero", "a/one", "top.bin"]);
    let digests = snapshot_copy(&src, &dest, &listing).unwrap();
    for d in &digests {
      let bytes = fs::read(join_rel(&dest, &d.path)).unwrap();
      assert_eq!(bytes, fs::read(join_rel(&src, &d.path)).unwrap());
      assert_eq!(d.digest.size, bytes.len() as u64);
      assert_eq!(d.digest.xxh3, xxh3_hex(&bytes));
    }
    assert!(dest.join("empty").is_dir());
  }

  #[test]
  fn detects_a_change_after_the_listing() {
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src");
    tree(&src);
    let dest = d.path().join("snap");
    let listing = snapshot_clone(&src, &dest).unwrap();
    if listing.files.iter().any(|f| f.cloned) {
      return; // a cloning file system: the clones are immune to later writes
    }
    fs::write(src.join("top.bin"), b"rewritten").unwrap();
    let e = snapshot_copy(&src, &dest, &listing).unwrap_err();
    assert_eq!(e.code, Code::Io);
    assert!(
      e.message
        .contains("top.bin' changed while being snapshotted"),
      "{}",
      e.message
    );
  }

  #[test]
  fn refuses_bad_arguments() {
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src");
    tree(&src);
    assert_eq!(
      snapshot_clone(&src, &src.join("in")).unwrap_err().code,
      Code::InvalidArg
    );
    assert_eq!(
      snapshot_clone(&src.join("top.bin"), &d.path().join("x"))
        .unwrap_err()
        .code,
      Code::InvalidArg
    );
    assert_eq!(
      snapshot_clone(&d.path().join("none"), &d.path().join("y"))
        .unwrap_err()
        .code,
      Code::NotFound
    );
    fs::create_dir(d.path().join("exists")).unwrap();
    assert_eq!(
      snapshot_clone(&src, &d.path().join("exists"))
        .unwrap_err()
        .code,
      Code::Exists
    );
    #[cfg(unix)]
    {
      std::os::unix::fs::symlink(src.join("a"), src.join("link")).unwrap();
      assert_eq!(
        snapshot_clone(&src, &d.path().join("z")).unwrap_err().code,
        Code::BadEntry
      );
    }
  }
}
