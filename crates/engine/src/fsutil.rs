//! Small file-system helpers: directory fsync, no-clobber rename, node-like path resolution, random
//! name suffixes, tree walks.

use std::collections::hash_map::RandomState;
use std::fs;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::thread;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Code, EngineError, IoContext, Result};
use crate::manifest::{MANIFEST_NAME, MAX_MANIFEST_BYTES};

/// Asks the kernel to start writing `len` bytes of `file` from `offset` to the disk, without waiting
/// (`sync_file_range(SYNC_FILE_RANGE_WRITE)`, Linux; nothing elsewhere). A later fsync then has less
/// left to wait for. Not a durability step: failures are ignored, the fsync still decides.
pub fn start_write_out(file: &fs::File, offset: u64, len: u64) {
  #[cfg(target_os = "linux")]
  {
    use std::os::fd::AsRawFd;
    // The offset type is `off64_t` on glibc and `off_t` on musl: inferred from the call.
    let (Ok(offset), Ok(len)) = (offset.try_into(), len.try_into()) else {
      return;
    };
    // SAFETY: the descriptor is open for the call; the call only reads its integer arguments.
    unsafe {
      libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE);
    }
  }
  #[cfg(not(target_os = "linux"))]
  let _ = (file, offset, len);
}

/// Opens the directory and fsyncs it (makes renames and creations inside it durable). On platforms
/// where a directory cannot be opened for syncing (Windows) this is a no-op.
pub fn sync_dir(path: &Path) -> Result<()> {
  #[cfg(unix)]
  {
    let dir = fs::File::open(path).ctx("open directory", path)?;
    dir.sync_all().ctx("fsync directory", path)?;
  }
  #[cfg(not(unix))]
  {
    let _ = path;
  }
  Ok(())
}

/// Renames `from` to `to` after checking that `to` does not exist (EEXIST if it does).
pub fn rename_noreplace(from: &Path, to: &Path) -> Result<()> {
  match fs::symlink_metadata(to) {
    Ok(_) => {
      return Err(EngineError::new(
        Code::Exists,
        format!(
          "rename '{}' -> '{}': target exists",
          from.display(),
          to.display()
        ),
      ))
    }
    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
    Err(e) => return Err(e).ctx("stat", to),
  }
  fs::rename(from, to)
    .map_err(|e| EngineError::io(&e, &format!("rename '{}' ->", from.display()), to))
}

/// Like Node's `path.resolve(p)`: absolute, `.` and `..` resolved lexically, no trailing slash.
pub fn resolve(p: &Path) -> PathBuf {
  let joined = if p.is_absolute() {
    p.to_path_buf()
  } else {
    match std::env::current_dir() {
      Ok(cwd) => cwd.join(p),
      Err(_) => p.to_path_buf(),
    }
  };
  let mut out = PathBuf::new();
  for c in joined.components() {
    match c {
      Component::Prefix(_) | Component::RootDir => out.push(c.as_os_str()),
      Component::CurDir => {}
      Component::ParentDir => {
        out.pop();
      }
      Component::Normal(n) => out.push(n),
    }
  }
  out
}

/// The path as a string (lossy for non-UTF-8 paths).
pub fn path_str(p: &Path) -> String {
  p.to_string_lossy().into_owned()
}

/// 8 random lowercase hex digits (for trash and temporary names).
pub fn random_hex8() -> String {
  static COUNTER: AtomicU64 = AtomicU64::new(0);
  let mut h = RandomState::new().build_hasher();
  h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
  h.write_u128(
    SystemTime::now()
      .duration_since(UNIX_EPOCH)
      .map_or(0, |d| d.as_nanos()),
  );
  h.write_u32(std::process::id());
  format!("{:08x}", h.finish() as u32)
}

/// Removes a file, a symlink or a whole directory tree.
pub fn remove_any(path: &Path) -> Result<()> {
  let meta = fs::symlink_metadata(path).ctx("stat", path)?;
  if meta.is_dir() {
    fs::remove_dir_all(path).ctx("remove", path)
  } else {
    fs::remove_file(path).ctx("remove", path)
  }
}

/// Threads for I/O-bound steps (scans, removal). They mostly wait on the file system (opens, stats,
/// renames, directory fsyncs, unlinks), so there are more of them than cores.
const IO_THREADS: usize = 16;

/// Maps `f` over `items` on up to [`IO_THREADS`] scoped threads (the calling thread is one of them);
/// the results are in item order. If a thread cannot be started, the others do its share.
pub fn io_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
  let n = items.len();
  let threads = IO_THREADS.min(n);
  if threads <= 1 {
    return items.iter().map(f).collect();
  }
  let next = AtomicUsize::new(0);
  let work = || {
    let mut done = Vec::new();
    loop {
      let i = next.fetch_add(1, Ordering::Relaxed);
      if i >= n {
        return done;
      }
      done.push((i, f(&items[i])));
    }
  };
  let mut slots: Vec<Option<R>> = std::iter::repeat_with(|| None).take(n).collect();
  thread::scope(|s| {
    let helpers: Vec<_> = (1..threads)
      .filter_map(|k| {
        thread::Builder::new()
          .name(format!("pamiq-io-{k}"))
          .spawn_scoped(s, work)
          .ok()
      })
      .collect();
    let mut put = |done: Vec<(usize, R)>| {
      for (i, r) in done {
        slots[i] = Some(r);
      }
    };
    put(work());
    for h in helpers {
      match h.join() {
        Ok(done) => put(done),
        Err(panic) => std::panic::resume_unwind(panic),
      }
    }
  });
  slots
    .into_iter()
    .map(|r| r.expect("io_map: every item is mapped"))
    .collect()
}

/// One entry found by [`walk`].
#[derive(Debug, Clone)]
pub struct WalkEntry {
  /// Relative to the walked root, `/`-separated.
  pub rel: String,
  pub kind: EntryKind,
  /// Directory depth: 1 for a direct child of the root.
  pub depth: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
  Dir,
  File,
  /// Symlink, socket, fifo, device.
  Other,
}

/// Walks `root` without following symlinks; returns every entry below it (not the root), in no
/// particular order. Names that are not valid UTF-8 are an `EBADENTRY` error.
pub fn walk(root: &Path) -> Result<Vec<WalkEntry>> {
  let mut out = Vec::new();
  let mut stack: Vec<(PathBuf, String, usize)> = vec![(root.to_path_buf(), String::new(), 0)];
  while let Some((dir, rel, depth)) = stack.pop() {
    let rd = fs::read_dir(&dir).ctx("scandir", &dir)?;
    for ent in rd {
      let ent = ent.ctx("scandir", &dir)?;
      let name = ent.file_name();
      let Some(name) = name.to_str() else {
        return Err(EngineError::new(
          Code::BadEntry,
          format!("'{}': file name is not valid UTF-8", ent.path().display()),
        ));
      };
      let child_rel = if rel.is_empty() {
        name.to_owned()
      } else {
        format!("{rel}/{name}")
      };
      let ft = ent.file_type().ctx("stat", &ent.path())?;
      let kind = if ft.is_dir() {
        EntryKind::Dir
      } else if ft.is_file() {
        EntryKind::File
      } else {
        EntryKind::Other
      };
      if kind == EntryKind::Dir {
        stack.push((ent.path(), child_rel.clone(), depth + 1));
      }
      out.push(WalkEntry {
        rel: child_rel,
        kind,
        depth: depth + 1,
      });
    }
  }
  Ok(out)
}

/// Why [`open_regular`] did not open a file.
#[derive(Debug)]
pub enum OpenRegularError {
  /// Nothing at that path (or a missing directory on the way).
  NotFound,
  /// A symlink, FIFO, socket, device or directory.
  NotRegular,
  /// Any other OS error.
  Io(io::Error),
}

/// Opens `path` for reading if, and only if, it is a regular file: a symlink at its last component is
/// not followed, and a FIFO or device never blocks the call (`O_NOFOLLOW | O_NONBLOCK`, then `fstat`).
/// Returns the file and its size.
pub fn open_regular(path: &Path) -> std::result::Result<(fs::File, u64), OpenRegularError> {
  let mut opts = fs::OpenOptions::new();
  opts.read(true);
  #[cfg(unix)]
  {
    use std::os::unix::fs::OpenOptionsExt;
    opts.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
  }
  #[cfg(not(unix))]
  {
    // No O_NOFOLLOW: refuse symlinks by lstat first (no FIFOs to block on here).
    match fs::symlink_metadata(path) {
      Ok(m) if !m.is_file() => return Err(OpenRegularError::NotRegular),
      Ok(_) => {}
      Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(OpenRegularError::NotFound),
      Err(e) => return Err(OpenRegularError::Io(e)),
    }
  }
  let file = opts.open(path).map_err(open_error)?;
  regular_size(file)
}

/// Why an open of a file expected to be regular failed: nothing there, something else than a regular
/// file, or another OS error.
fn open_error(e: io::Error) -> OpenRegularError {
  if e.kind() == io::ErrorKind::NotFound {
    return OpenRegularError::NotFound;
  }
  #[cfg(unix)]
  match e.raw_os_error() {
    // A file where a directory was expected on the way.
    Some(libc::ENOTDIR) => return OpenRegularError::NotFound,
    // ELOOP: a symlink (O_NOFOLLOW); ENXIO: a socket or a FIFO without writer.
    Some(libc::ELOOP) | Some(libc::ENXIO) | Some(libc::EISDIR) => {
      return OpenRegularError::NotRegular
    }
    _ => {}
  }
  OpenRegularError::Io(e)
}

/// The file and its size if it is a regular file (`fstat`).
fn regular_size(file: fs::File) -> std::result::Result<(fs::File, u64), OpenRegularError> {
  #[cfg(unix)]
  {
    use std::os::fd::AsRawFd;
    // Plain fstat: File::metadata asks statx for the empty path, a costlier call (a scan makes
    // thousands).
    // SAFETY: an all-zero `stat` is a valid value of the plain C struct, which fstat then fills.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `file` is open and `st` a valid out-pointer for the call.
    if unsafe { libc::fstat(file.as_raw_fd(), &mut st) } != 0 {
      return Err(OpenRegularError::Io(io::Error::last_os_error()));
    }
    if st.st_mode & libc::S_IFMT != libc::S_IFREG {
      return Err(OpenRegularError::NotRegular);
    }
    Ok((file, st.st_size as u64))
  }
  #[cfg(not(unix))]
  {
    let meta = file.metadata().map_err(OpenRegularError::Io)?;
    if !meta.is_file() {
      return Err(OpenRegularError::NotRegular);
    }
    Ok((file, meta.len()))
  }
}

/// Opens `rel` relative to the directory `dir` (`openat`) as [`open_regular`] opens a path: a symlink
/// at the last component is not followed, a FIFO or device never blocks, only a regular file is
/// returned. A path walk from an open directory is shorter than one from the root (what a scan of
/// thousands of states pays per state).
#[cfg(unix)]
pub fn open_regular_at(
  dir: &fs::File,
  rel: &std::ffi::CStr,
) -> std::result::Result<(fs::File, u64), OpenRegularError> {
  use std::os::fd::{AsRawFd, FromRawFd};
  let flags = libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC;
  let fd = loop {
    // SAFETY: `rel` is a NUL-terminated string and `dir` an open descriptor, both borrowed for the call.
    let fd = unsafe { libc::openat(dir.as_raw_fd(), rel.as_ptr(), flags) };
    if fd >= 0 {
      break fd;
    }
    let e = io::Error::last_os_error();
    if e.kind() != io::ErrorKind::Interrupted {
      return Err(open_error(e));
    }
  };
  // SAFETY: `fd` was just opened and is owned by nothing else.
  regular_size(unsafe { fs::File::from_raw_fd(fd) })
}

/// Why [`read_manifest_bytes`] read nothing.
#[derive(Debug)]
pub enum ManifestReadError {
  NotFound,
  /// A reason without path, e.g. `manifest.json: not a regular file` (the same text in both twins).
  Refused(String),
  Io(io::Error),
}

/// Reads `<dir>/manifest.json` safely: only a regular file (no symlink, FIFO or device, never
/// blocking), at most [`MAX_MANIFEST_BYTES`] bytes.
pub fn read_manifest_bytes(dir: &Path) -> std::result::Result<Vec<u8>, ManifestReadError> {
  let mut bytes = Vec::new();
  read_opened_manifest(open_regular(&dir.join(MANIFEST_NAME)), &mut bytes)?;
  Ok(bytes)
}

/// [`read_manifest_bytes`] of `<state>/manifest.json` relative to the open directory `dir` (`rel` is
/// `<state>/manifest.json`), into `bytes` (replacing what it held; a scan reuses one buffer per thread).
#[cfg(unix)]
pub fn read_manifest_bytes_at(
  dir: &fs::File,
  rel: &std::ffi::CStr,
  bytes: &mut Vec<u8>,
) -> std::result::Result<(), ManifestReadError> {
  read_opened_manifest(open_regular_at(dir, rel), bytes)
}

fn read_opened_manifest(
  opened: std::result::Result<(fs::File, u64), OpenRegularError>,
  bytes: &mut Vec<u8>,
) -> std::result::Result<(), ManifestReadError> {
  use std::io::Read;
  let (mut file, size) = match opened {
    Ok(x) => x,
    Err(OpenRegularError::NotFound) => return Err(ManifestReadError::NotFound),
    Err(OpenRegularError::NotRegular) => {
      return Err(ManifestReadError::Refused(
        "manifest.json: not a regular file".into(),
      ))
    }
    Err(OpenRegularError::Io(e)) => return Err(ManifestReadError::Io(e)),
  };
  let too_large = || {
    ManifestReadError::Refused(format!(
      "manifest.json: larger than {MAX_MANIFEST_BYTES} bytes"
    ))
  };
  if size > MAX_MANIFEST_BYTES {
    return Err(too_large());
  }
  // One byte more than fstat said, so that a file that grew since is seen; at most the cap + 1.
  let limit = MAX_MANIFEST_BYTES as usize + 1;
  bytes.clear();
  bytes.resize(size as usize + 1, 0);
  let mut len = 0;
  loop {
    if len == bytes.len() {
      if len >= limit {
        return Err(too_large());
      }
      bytes.resize((len * 2).clamp(len + 1, limit), 0);
    }
    let n = match file.read(&mut bytes[len..]) {
      Ok(n) => n,
      Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
      Err(e) => return Err(ManifestReadError::Io(e)),
    };
    if n == 0 {
      break;
    }
    let short = len + n < bytes.len();
    len += n;
    // A regular file reads short only at its end: one that ends where fstat said needs no further
    // read to see the end of file.
    if short && len as u64 == size {
      break;
    }
  }
  if len as u64 > MAX_MANIFEST_BYTES {
    return Err(too_large());
  }
  bytes.truncate(len);
  Ok(())
}

/// Why a listed file cannot be opened inside its state (see [`open_in_state`]).
#[derive(Debug)]
pub enum InStateError {
  NotFound,
  /// A component on the way is a symlink or not a directory.
  OutsidePath,
  NotRegular,
  Io(io::Error),
}

/// Opens `root/rel` (`rel` `/`-separated, already validated) without ever leaving `root`: every
/// directory on the way must be a real directory (not a symlink), the file a regular file (not a
/// symlink, never blocking). Returns the file and its size.
pub fn open_in_state(root: &Path, rel: &str) -> std::result::Result<(fs::File, u64), InStateError> {
  let parts: Vec<&str> = rel.split('/').collect();
  let mut p = root.to_path_buf();
  for part in &parts[..parts.len().saturating_sub(1)] {
    p.push(part);
    match fs::symlink_metadata(&p) {
      Ok(m) if m.is_dir() => {}
      Ok(_) => return Err(InStateError::OutsidePath),
      Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(InStateError::NotFound),
      Err(e) => return Err(InStateError::Io(e)),
    }
  }
  if let Some(last) = parts.last() {
    p.push(last);
  }
  open_regular(&p).map_err(|e| match e {
    OpenRegularError::NotFound => InStateError::NotFound,
    OpenRegularError::NotRegular => InStateError::NotRegular,
    OpenRegularError::Io(e) => InStateError::Io(e),
  })
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn resolve_is_lexical() {
    assert_eq!(
      resolve(Path::new("/a/b/../c/./d/")),
      PathBuf::from("/a/c/d")
    );
    assert_eq!(resolve(Path::new("/..")), PathBuf::from("/"));
    assert!(resolve(Path::new("x")).is_absolute());
  }

  #[test]
  fn hex8() {
    let a = random_hex8();
    assert_eq!(a.len(), 8);
    assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_ne!(a, random_hex8());
  }

  #[test]
  fn rename_refuses_existing_target() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a");
    let b = d.path().join("b");
    fs::create_dir(&a).unwrap();
    fs::create_dir(&b).unwrap();
    assert_eq!(rename_noreplace(&a, &b).unwrap_err().code, Code::Exists);
    fs::remove_dir(&b).unwrap();
    rename_noreplace(&a, &b).unwrap();
    assert!(b.is_dir());
    sync_dir(d.path()).unwrap();
  }
}
