//! `scanStates`: list a states directory, match the pattern, stat and parse each manifest in parallel
//! (on the I/O threads of [`io_map`]).

use std::cmp::Ordering;
use std::fs;
use std::path::Path;

use globset::GlobBuilder;

use crate::error::{Code, EngineError, IoContext, Result};
#[cfg(unix)]
use crate::fsutil::read_manifest_bytes_at;
use crate::fsutil::{io_map, path_str, resolve};
use crate::fsutil::{read_manifest_bytes, ManifestReadError};
#[cfg(unix)]
use crate::manifest::MANIFEST_NAME;
use crate::manifest::{parse_manifest_summary, MAX_SAFE_INTEGER};

/// Prefix of temporary save directories.
pub const TMP_PREFIX: &str = ".pamiq-tmp-";
/// Prefix of trash directories.
pub const TRASH_PREFIX: &str = ".pamiq-trash-";

/// Whether `name` is a leftover of an interrupted save or removal.
pub fn is_leftover(name: &str) -> bool {
  name.starts_with(TMP_PREFIX) || name.starts_with(TRASH_PREFIX)
}

#[derive(Debug, Clone, PartialEq)]
pub struct StateEntry {
  pub name: String,
  /// Absolute path (`path.resolve(dir, name)`).
  pub path: String,
  /// As `fs.Stats.mtimeMs`.
  pub mtime_ms: f64,
  pub valid: bool,
  pub reason: Option<String>,
  pub created_at_ns: Option<String>,
  /// The manifest's sequence number (format 2 only).
  pub seq: Option<u64>,
  pub size: Option<u64>,
  pub file_count: Option<u64>,
  pub components: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScanResult {
  pub entries: Vec<StateEntry>,
  pub leftovers: Vec<String>,
}

/// `fs.Stats.mtimeMs` of a metadata: `sec * 1e3 + nsec / 1e6`, in doubles, as node computes it.
pub fn mtime_ms(meta: &fs::Metadata) -> f64 {
  #[cfg(unix)]
  {
    use std::os::unix::fs::MetadataExt;
    meta.mtime() as f64 * 1e3 + meta.mtime_nsec() as f64 / 1e6
  }
  #[cfg(not(unix))]
  {
    match meta
      .modified()
      .ok()
      .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
    {
      Some(d) => d.as_secs() as f64 * 1e3 + d.subsec_nanos() as f64 / 1e6,
      None => 0.0,
    }
  }
}

/// Compares two decimal strings numerically.
pub fn cmp_decimal(a: &str, b: &str) -> Ordering {
  let a = a.trim_start_matches('0');
  let b = b.trim_start_matches('0');
  a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn inspect(dir: &Path, name: String) -> Option<StateEntry> {
  let path = dir.join(&name);
  // Entries that vanish between listing and stat, and non-directories, are not states.
  let meta = fs::metadata(&path).ok()?;
  if !meta.is_dir() {
    return None;
  }
  let manifest = read_manifest_bytes(&path);
  Some(entry_of(
    name,
    path_str(&path),
    mtime_ms(&meta),
    manifest.as_deref(),
  ))
}

/// [`inspect`] relative to the open states directory `dir` whose path is `dir_path`: `fstatat` of the
/// state, `openat` of `<state>/manifest.json`, so the kernel walks one or two components per call
/// instead of the whole path.
#[cfg(unix)]
fn inspect_at(dir: &fs::File, dir_path: &str, name: String) -> Option<StateEntry> {
  use std::ffi::CStr;
  use std::os::fd::AsRawFd;
  // `<state>\0manifest.json\0`: the state's name for fstatat, then with the first NUL made a `/`,
  // the manifest's path for openat.
  let mut rel = Vec::with_capacity(name.len() + MANIFEST_NAME.len() + 2);
  rel.extend_from_slice(name.as_bytes());
  rel.push(0);
  rel.extend_from_slice(MANIFEST_NAME.as_bytes());
  rel.push(0);
  let state = CStr::from_bytes_with_nul(&rel[..=name.len()]).ok()?;
  // SAFETY: an all-zero `stat` is a valid value of the plain C struct, which fstatat then fills.
  let mut st: libc::stat = unsafe { std::mem::zeroed() };
  // SAFETY: `state` is NUL-terminated, `dir` open, `st` a valid out-pointer; all live for the call.
  // Flags 0: a symlink to a directory is followed, as fs::metadata does.
  if unsafe { libc::fstatat(dir.as_raw_fd(), state.as_ptr(), &mut st, 0) } != 0 {
    return None;
  }
  if st.st_mode & libc::S_IFMT != libc::S_IFDIR {
    return None;
  }
  let mtime_ms = st.st_mtime as f64 * 1e3 + st.st_mtime_nsec as f64 / 1e6;
  rel[name.len()] = b'/';
  let manifest_rel = CStr::from_bytes_with_nul(&rel).ok()?;
  let mut path = String::with_capacity(dir_path.len() + 1 + name.len());
  path.push_str(dir_path);
  if !dir_path.ends_with('/') {
    path.push('/');
  }
  path.push_str(&name);
  thread_local! {
    /// The manifest bytes of the state being inspected: one buffer per I/O thread, reused.
    static BYTES: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
  }
  Some(BYTES.with(|cell| match cell.try_borrow_mut() {
    Ok(mut bytes) => {
      let read = read_manifest_bytes_at(dir, manifest_rel, &mut bytes);
      entry_of(name, path, mtime_ms, read.as_ref().map(|()| &bytes[..]))
    }
    // Not reentrant; a fresh buffer if it ever were.
    Err(_) => {
      let mut bytes = Vec::new();
      let read = read_manifest_bytes_at(dir, manifest_rel, &mut bytes);
      entry_of(name, path, mtime_ms, read.as_ref().map(|()| &bytes[..]))
    }
  }))
}

/// The entry of a state directory from its manifest's bytes (or why they could not be read).
fn entry_of(
  name: String,
  path: String,
  mtime_ms: f64,
  manifest: std::result::Result<&[u8], &ManifestReadError>,
) -> StateEntry {
  let mut entry = StateEntry {
    path,
    name,
    mtime_ms,
    valid: false,
    reason: None,
    created_at_ns: None,
    seq: None,
    size: None,
    file_count: None,
    components: None,
  };
  match manifest {
    Err(ManifestReadError::NotFound) => entry.reason = Some("no manifest.json".into()),
    Err(ManifestReadError::Refused(reason)) => entry.reason = Some(reason.clone()),
    Err(ManifestReadError::Io(e)) => entry.reason = Some(format!("manifest.json: {e}")),
    Ok(bytes) => match parse_manifest_summary(bytes) {
      Err(e) => entry.reason = Some(e.reason),
      Ok(m) => {
        entry.valid = true;
        entry.size = Some(m.total_size);
        entry.file_count = Some(m.file_count);
        entry.created_at_ns = Some(m.created_at_ns);
        entry.seq = m.seq;
        entry.components = Some(m.components);
      }
    },
  }
  entry
}

/// Inspects the `names` of the states directory `abs` on the I/O threads; entries that are no
/// directories are left out.
fn inspect_all(abs: &Path, names: &[String]) -> Vec<StateEntry> {
  #[cfg(unix)]
  if let Ok(dir) = fs::File::open(abs) {
    let dir_path = path_str(abs);
    return io_map(names, |n| inspect_at(&dir, &dir_path, n.clone()))
      .into_iter()
      .flatten()
      .collect();
  }
  io_map(names, |n| inspect(abs, n.clone()))
    .into_iter()
    .flatten()
    .collect()
}

/// Recency order of valid entries: sequence number (format 1 counts as 0), then creation time, then
/// name. The sequence number comes first so that a wall clock that jumped cannot reorder states.
pub fn cmp_recency(a: &StateEntry, b: &StateEntry) -> Ordering {
  a.seq
    .unwrap_or(0)
    .cmp(&b.seq.unwrap_or(0))
    .then_with(|| {
      cmp_decimal(
        a.created_at_ns.as_deref().unwrap_or_default(),
        b.created_at_ns.as_deref().unwrap_or_default(),
      )
    })
    .then_with(|| a.name.cmp(&b.name))
}

/// The sequence number of the next state saved into `dir`: one more than the largest `seq` of any
/// valid state directory in it (every name not starting with `.`; format-1 states count as 0), 1 when
/// there is none; saturates at 2^53 − 1. With one writer per directory (the states-dir lock), a new
/// state's number is thus larger than that of every state present, whatever the wall clock says.
pub fn next_seq(dir: &Path) -> Result<u64> {
  let abs = resolve(dir);
  let mut names = Vec::new();
  for ent in fs::read_dir(&abs).ctx("scandir", &abs)? {
    let ent = ent.ctx("scandir", &abs)?;
    if let Ok(name) = ent.file_name().into_string() {
      if !name.starts_with('.') {
        names.push(name);
      }
    }
  }
  let max = inspect_all(&abs, &names)
    .into_iter()
    .filter_map(|e| e.seq)
    .max();
  Ok(max.map_or(1, |m| m.saturating_add(1).min(MAX_SAFE_INTEGER)))
}

/// Lists `dir`: names starting with `.` are skipped (and `.pamiq-tmp-*` / `.pamiq-trash-*` reported as
/// leftovers), directories whose name matches the glob `pattern` are inspected in parallel.
pub fn scan_states(dir: &Path, pattern: &str) -> Result<ScanResult> {
  let matcher = GlobBuilder::new(pattern)
    .literal_separator(true)
    .build()
    .map_err(|e| {
      EngineError::new(
        Code::InvalidArg,
        format!("invalid pattern {pattern:?}: {e}"),
      )
    })?
    .compile_matcher();
  let abs = resolve(dir);
  let mut names = Vec::new();
  let mut leftovers = Vec::new();
  for ent in fs::read_dir(&abs).ctx("scandir", &abs)? {
    let ent = ent.ctx("scandir", &abs)?;
    let Ok(name) = ent.file_name().into_string() else {
      continue;
    };
    if name.starts_with('.') {
      if is_leftover(&name) {
        leftovers.push(name);
      }
      continue;
    }
    if matcher.is_match(&name) {
      names.push(name);
    }
  }
  // Opening and reading thousands of small manifests waits on the file system (path lookups, and
  // disk reads when the cache is cold): the I/O threads keep more requests in flight than cores.
  let found = inspect_all(&abs, &names);
  // Sorted by index: an entry is a large struct, and a stable sort moves its elements many times.
  let mut order: Vec<usize> = (0..found.len()).collect();
  order.sort_by(|&i, &j| {
    let (a, b) = (&found[i], &found[j]);
    match (a.valid, b.valid) {
      (true, false) => Ordering::Less,
      (false, true) => Ordering::Greater,
      (true, true) => cmp_recency(a, b),
      (false, false) => a.name.cmp(&b.name),
    }
  });
  let mut slots: Vec<Option<StateEntry>> = found.into_iter().map(Some).collect();
  let entries = order.into_iter().filter_map(|i| slots[i].take()).collect();
  leftovers.sort();
  Ok(ScanResult { entries, leftovers })
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn decimal_order() {
    assert_eq!(cmp_decimal("9", "10"), Ordering::Less);
    assert_eq!(cmp_decimal("0010", "10"), Ordering::Equal);
    assert_eq!(
      cmp_decimal("1764075695123456789", "1764075695123456788"),
      Ordering::Greater
    );
  }
}
