//! `removeStates` (crash-safe: rename to trash, fsync, delete) and `removeLeftovers`.
//!
//! Removal is bound by file-system calls, not by the CPU: its steps run on [`io_map`]'s threads (more
//! than there are cores, so that enough requests are in flight), not on the CPU pool of `crate::pool`.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Code, EngineError, IoContext, Result};
use crate::fsutil::{io_map, random_hex8, remove_any, rename_noreplace, sync_dir};
use crate::scan::{is_leftover, TRASH_PREFIX};

/// One outcome per path given to [`remove_states`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveOutcome {
  /// The path as given.
  pub path: String,
  /// True once the state is gone from its name (renamed to trash).
  pub removed: bool,
  /// `CODE: message` of the first failure, if any. With `removed: true` it names a step after the
  /// rename (the fsync of the parent or the deletion of the trash); the trash is then a leftover for
  /// [`remove_leftovers`].
  pub error: Option<String>,
}

fn parent_of(p: &Path) -> PathBuf {
  match p.parent() {
    Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
    _ => PathBuf::from("."),
  }
}

/// A state renamed out of its name: its parent directory and its trash path.
struct Trashed {
  parent: PathBuf,
  trash: PathBuf,
}

/// Phase 1 for one path: renames the state to `.pamiq-trash-<name>-<8 hex>` in its directory.
fn rename_to_trash(path: &str) -> Result<Trashed> {
  let p = Path::new(path);
  let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
    return Err(EngineError::new(
      Code::InvalidArg,
      format!("'{path}': no state name"),
    ));
  };
  fs::symlink_metadata(p).ctx("stat", p)?;
  let parent = parent_of(p);
  let trash = parent.join(format!("{TRASH_PREFIX}{name}-{}", random_hex8()));
  rename_noreplace(p, &trash)?;
  Ok(Trashed { parent, trash })
}

/// Removes each path crash-safely; one outcome per path, in the given order. A path given twice is
/// removed once and each occurrence reports that outcome.
///
/// 1. every state is renamed to its trash name (out of the state pattern: it can no longer be loaded
///    or counted); a failure is that path's outcome (`removed: false`), the others go on;
/// 2. each distinct parent directory holding a renamed state is fsynced once, making the renames
///    durable; if that fails, its states report `removed: true` with the error and their trash is
///    kept (deleting it before the rename is durable could leave a half-deleted state after a crash);
/// 3. the trash trees are deleted; a failure reports `removed: true` with the error, and the trash is
///    a leftover that [`remove_leftovers`] clears.
pub fn remove_states(paths: &[String]) -> Result<Vec<RemoveOutcome>> {
  let mut unique: Vec<&String> = Vec::with_capacity(paths.len());
  let mut seen = HashSet::with_capacity(paths.len());
  for p in paths {
    if seen.insert(p) {
      unique.push(p);
    }
  }

  // Phase 1: rename every target to its trash name.
  let renamed: Vec<Result<Trashed>> = io_map(&unique, |p| rename_to_trash(p));

  // Phase 2: fsync each distinct parent of a renamed state, once.
  let mut parents: Vec<&Path> = Vec::new();
  let mut seen_parents = HashSet::new();
  for t in renamed.iter().flatten() {
    if seen_parents.insert(t.parent.as_path()) {
      parents.push(&t.parent);
    }
  }
  let synced: Vec<Result<()>> = io_map(&parents, |d| sync_dir(d));
  let sync_error: HashMap<&Path, String> = parents
    .iter()
    .zip(&synced)
    .filter_map(|(d, r)| r.as_ref().err().map(|e| (*d, e.to_string())))
    .collect();

  // Phase 3: delete the trash trees of the durably renamed states.
  let doomed: Vec<(usize, &Path)> = renamed
    .iter()
    .enumerate()
    .filter_map(|(i, r)| match r {
      Ok(t) if !sync_error.contains_key(t.parent.as_path()) => Some((i, t.trash.as_path())),
      _ => None,
    })
    .collect();
  let deleted: Vec<Result<()>> = io_map(&doomed, |(_, trash)| remove_any(trash));
  let mut delete_error: HashMap<usize, String> = HashMap::new();
  for ((i, _), r) in doomed.iter().zip(deleted) {
    if let Err(e) = r {
      delete_error.insert(*i, e.to_string());
    }
  }

  let outcomes: Vec<RemoveOutcome> = unique
    .iter()
    .zip(&renamed)
    .enumerate()
    .map(|(i, (path, r))| {
      let (removed, error) = match r {
        Err(e) => (false, Some(e.to_string())),
        Ok(t) => (
          true,
          sync_error
            .get(t.parent.as_path())
            .or_else(|| delete_error.get(&i))
            .cloned(),
        ),
      };
      RemoveOutcome {
        path: (*path).clone(),
        removed,
        error,
      }
    })
    .collect();
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
  let results: Vec<Result<()>> = io_map(&names, |n| remove_any(&dir.join(n)));
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

#[cfg(test)]
mod tests {
  use super::*;

  fn state(dir: &Path, name: &str) -> String {
    let p = dir.join(name);
    fs::create_dir_all(p.join("data/x")).unwrap();
    fs::write(p.join("manifest.json"), b"{}").unwrap();
    fs::write(p.join("data/x/f"), b"f").unwrap();
    p.to_string_lossy().into_owned()
  }

  #[test]
  fn io_map_keeps_order() {
    let items: Vec<usize> = (0..1000).collect();
    assert_eq!(
      io_map(&items, |i| i * 2),
      (0..1000).map(|i| i * 2).collect::<Vec<_>>()
    );
    assert!(io_map(&[] as &[usize], |i| *i).is_empty());
    assert_eq!(io_map(&[7], |i| i + 1), [8]);
  }

  #[test]
  fn removes_many_across_parents_in_order_with_duplicates() {
    let root = tempfile::tempdir().unwrap();
    let (a, b) = (root.path().join("a"), root.path().join("b"));
    fs::create_dir(&a).unwrap();
    fs::create_dir(&b).unwrap();
    let mut paths = Vec::new();
    for i in 0..40 {
      paths.push(state(
        if i % 2 == 0 { &a } else { &b },
        &format!("s{i}.state"),
      ));
    }
    let keep = state(&a, "keep.state");
    let missing = a.join("missing.state").to_string_lossy().into_owned();
    let mut given = paths.clone();
    given.insert(3, missing.clone());
    given.push(paths[5].clone());
    let out = remove_states(&given).unwrap();
    assert_eq!(out.len(), given.len());
    for (o, p) in out.iter().zip(&given) {
      assert_eq!(&o.path, p);
      if *p == missing {
        assert!(!o.removed);
        assert!(o.error.as_deref().unwrap().starts_with("ENOENT: "));
      } else {
        assert!(o.removed && o.error.is_none(), "{o:?}");
      }
    }
    assert_eq!(out.last(), out.get(6));
    let names = |d: &Path| {
      let mut v: Vec<String> = fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
      v.sort();
      v
    };
    assert_eq!(names(&a), ["keep.state"]);
    assert!(names(&b).is_empty());
    assert!(Path::new(&keep).join("data/x/f").exists());
  }

  #[test]
  fn a_bad_path_does_not_stop_the_others() {
    let root = tempfile::tempdir().unwrap();
    let s = state(root.path(), "s.state");
    let out = remove_states(&["/".to_owned(), s.clone()]).unwrap();
    assert!(!out[0].removed);
    assert!(out[0].error.as_deref().unwrap().starts_with("EINVAL: "));
    assert_eq!(
      out[1],
      RemoveOutcome {
        path: s.clone(),
        removed: true,
        error: None
      }
    );
    assert!(!Path::new(&s).exists());
    assert!(remove_states(&[]).unwrap().is_empty());
  }
}
