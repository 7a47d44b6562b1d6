//! `removeStates` (crash-safe: rename to trash, fsync, delete) and `removeLeftovers`.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{Code, EngineError, IoContext, Result};
use crate::fsutil::{random_hex8, remove_any, rename_noreplace, sync_dir};
use crate::pool;
use crate::scan::{is_leftover, TRASH_PREFIX};

/// One outcome per path given to [`remove_states`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveOutcome {
  /// The path as given.
  pub path: String,
  /// True once the state is gone from its name (renamed to trash).
  pub removed: bool,
  /// `CODE: message` of the first failure, if any.
  pub error: Option<String>,
}

fn parent_of(p: &Path) -> PathBuf {
  match p.parent() {
    Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
    _ => PathBuf::from("."),
  }
}

fn remove_one(path: &str) -> RemoveOutcome {
  let p = Path::new(path);
  let fail = |removed: bool, e: EngineError| RemoveOutcome {
    path: path.to_owned(),
    removed,
    error: Some(e.to_string()),
  };
  let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
    return fail(
      false,
      EngineError::new(Code::InvalidArg, format!("'{path}': no state name")),
    );
  };
  if let Err(e) = fs::symlink_metadata(p).ctx("stat", p) {
    return fail(false, e);
  }
  let parent = parent_of(p);
  let trash = parent.join(format!("{TRASH_PREFIX}{name}-{}", random_hex8()));
  if let Err(e) = rename_noreplace(p, &trash) {
    return fail(false, e);
  }
  if let Err(e) = sync_dir(&parent) {
    return fail(true, e);
  }
  if let Err(e) = remove_any(&trash) {
    return fail(true, e);
  }
  RemoveOutcome {
    path: path.to_owned(),
    removed: true,
    error: None,
  }
}

/// Removes each path crash-safely, in parallel; one outcome per path, in the given order. A path given
/// twice is removed once and each occurrence reports that outcome.
pub fn remove_states(paths: &[String]) -> Result<Vec<RemoveOutcome>> {
  let mut unique: Vec<&String> = Vec::with_capacity(paths.len());
  let mut seen = HashSet::with_capacity(paths.len());
  for p in paths {
    if seen.insert(p) {
      unique.push(p);
    }
  }
  let outcomes: Vec<RemoveOutcome> =
    pool::install(|| unique.par_iter().map(|p| remove_one(p)).collect())?;
  let by_path: HashMap<&String, &RemoveOutcome> =
    unique.iter().copied().zip(outcomes.iter()).collect();
  Ok(
    paths
      .iter()
      .filter_map(|p| by_path.get(p).map(|o| (*o).clone()))
      .collect(),
  )
}

/// Deletes `.pamiq-tmp-*` and `.pamiq-trash-*` entries of `dir`; returns the names removed, sorted.
/// Tries every leftover; fails with the first error (by name) if any could not be removed.
pub fn remove_leftovers(dir: &Path) -> Result<Vec<String>> {
  let mut names = Vec::new();
  for ent in fs::read_dir(dir).ctx("scandir", dir)? {
    let ent = ent.ctx("scandir", dir)?;
    if let Ok(name) = ent.file_name().into_string() {
      if is_leftover(&name) {
        names.push(name);
      }
    }
  }
  names.sort();
  let results: Vec<Result<()>> =
    pool::install(|| names.par_iter().map(|n| remove_any(&dir.join(n))).collect())?;
  let mut removed = Vec::with_capacity(names.len());
  let mut first_err = None;
  for (n, r) in names.into_iter().zip(results) {
    match r {
      Ok(()) => removed.push(n),
      Err(e) if e.code == Code::NotFound => {}
      Err(e) => {
        first_err.get_or_insert(e);
      }
    }
  }
  if let Some(e) = first_err {
    return Err(e);
  }
  if !removed.is_empty() {
    sync_dir(dir)?;
  }
  Ok(removed)
}
