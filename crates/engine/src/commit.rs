//! `commitState`: hash and fsync what the writers did not, fsync every directory, write the manifest
//! (format 2: with the directory's next sequence number and its own checksum), rename the temporary
//! directory to its final name, fsync the states directory.
//!
//! Once the rename succeeded the state is committed: a failing fsync of the states directory after it
//! is not an error but the outcome `durable: false` (with `sync_error`), since the state is there
//! under its final name and loads; only its survival of a power loss is not assured.
//!
//! Test-only fault hook (shared with the TypeScript twin): when `PAMIQ_FAULT_FSYNC_STATES_DIR=1` is set
//! at commit time, that final fsync fails with "Input/output error (injected)".

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{Code, EngineError, IoContext, Result};
use crate::fsutil::{path_str, resolve, sync_dir, walk, EntryKind};
use crate::hash::{hash_reader, Digest};
use crate::manifest::{Library, Manifest, ManifestFile, FORMAT, FORMAT_VERSION, MANIFEST_NAME};
use crate::pool;
use crate::scan::next_seq;

/// What `commitState` needs (mirrors `CommitRequest` of src/backend/types.ts).
#[derive(Debug, Clone)]
pub struct CommitRequest {
  pub tmp_dir: PathBuf,
  pub states_dir: PathBuf,
  pub name: String,
  /// Relative path → digest of files already hashed and fsynced by writers.
  pub known: HashMap<String, Digest>,
  pub library: Library,
  pub created_at_ns: String,
  pub components: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct CommitResult {
  /// Absolute path of the committed state.
  pub path: String,
  pub name: String,
  pub manifest: Manifest,
  /// False when the state was renamed into place but the states directory could not be fsynced.
  pub durable: bool,
  /// Why it is not durable (only when `durable` is false).
  pub sync_error: Option<String>,
}

/// Name of the fault-injection variable of the final fsync (see the module docs).
pub const FAULT_FSYNC_ENV: &str = "PAMIQ_FAULT_FSYNC_STATES_DIR";

/// The `i`-th alternative of a taken name: `x.state` → `x_1.state`, `x` → `x_1`.
pub fn suffixed_name(name: &str, i: u32) -> String {
  if i == 0 {
    return name.to_owned();
  }
  match name.strip_suffix(".state") {
    Some(stem) if !stem.is_empty() => format!("{stem}_{i}.state"),
    _ => format!("{name}_{i}"),
  }
}

fn check_name(name: &str) -> Result<()> {
  if name.is_empty() || name.starts_with('.') || name.contains(['/', '\\', '\0']) {
    return Err(EngineError::new(
      Code::InvalidArg,
      format!("invalid state name {name:?}: it must be a plain name not starting with '.'"),
    ));
  }
  Ok(())
}

fn hash_and_sync(path: &Path) -> Result<Digest> {
  let mut file = fs::File::open(path).ctx("open", path)?;
  let digest = hash_reader(&mut file, path)?;
  file.sync_all().ctx("fsync", path)?;
  Ok(digest)
}

/// Commits `req.tmp_dir` as `req.states_dir/<name or a suffixed name>`.
pub fn commit_state(req: &CommitRequest) -> Result<CommitResult> {
  check_name(&req.name)?;
  let tmp = &resolve(&req.tmp_dir);
  let entries = walk(tmp)?;
  let mut dirs: Vec<(usize, PathBuf)> = Vec::new();
  let mut files: Vec<String> = Vec::new();
  for e in entries {
    match e.kind {
      EntryKind::Dir => dirs.push((e.depth, tmp.join(&e.rel))),
      EntryKind::File => {
        if e.rel != MANIFEST_NAME {
          files.push(e.rel);
        }
      }
      EntryKind::Other => {
        return Err(EngineError::new(
          Code::BadEntry,
          format!(
            "'{}': not a regular file or directory (symlink or special file)",
            tmp.join(&e.rel).display()
          ),
        ))
      }
    }
  }
  files.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));

  let listed: Vec<ManifestFile> = pool::install(|| {
    files
      .par_iter()
      .map(|rel| {
        let digest = match req.known.get(rel) {
          Some(d) => d.clone(),
          None => hash_and_sync(&tmp.join(rel))?,
        };
        Ok(ManifestFile {
          path: rel.clone(),
          size: digest.size,
          xxh3: digest.xxh3,
        })
      })
      .collect::<Result<Vec<_>>>()
  })??;

  // Deepest directories first, so that each directory is synced after everything inside it.
  dirs.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
  for (_, d) in &dirs {
    sync_dir(d)?;
  }

  let states_dir = resolve(&req.states_dir);
  let mut manifest = Manifest {
    format: FORMAT.to_owned(),
    format_version: FORMAT_VERSION,
    library: req.library.clone(),
    created_at_ns: req.created_at_ns.clone(),
    seq: Some(next_seq(&states_dir)?),
    components: req.components.clone(),
    files: listed,
    manifest_xxh3: None,
  };
  manifest.manifest_xxh3 = Some(manifest.checksum());
  let manifest_path = tmp.join(MANIFEST_NAME);
  {
    let mut f = OpenOptions::new()
      .write(true)
      .create(true)
      .truncate(true)
      .open(&manifest_path)
      .ctx("open", &manifest_path)?;
    f.write_all(manifest.to_json().as_bytes())
      .ctx("write", &manifest_path)?;
    f.sync_all().ctx("fsync", &manifest_path)?;
  }
  sync_dir(tmp)?;

  let mut i = 0u32;
  let (final_name, target) = loop {
    let candidate = suffixed_name(&req.name, i);
    let target = states_dir.join(&candidate);
    match fs::symlink_metadata(&target) {
      Ok(_) => {}
      Err(e) if e.kind() == io::ErrorKind::NotFound => match fs::rename(tmp, &target) {
        Ok(()) => break (candidate, target),
        // Taken in the meantime by a non-empty directory: try the next name.
        Err(e)
          if matches!(
            e.kind(),
            io::ErrorKind::DirectoryNotEmpty | io::ErrorKind::AlreadyExists
          ) => {}
        Err(e) => {
          return Err(EngineError::io(
            &e,
            &format!("rename '{}' ->", tmp.display()),
            &target,
          ))
        }
      },
      Err(e) => return Err(e).ctx("stat", &target),
    }
    i = i.checked_add(1).ok_or_else(|| {
      EngineError::new(
        Code::Io,
        format!(
          "no free name for '{}'",
          states_dir.join(&req.name).display()
        ),
      )
    })?;
  };
  let synced = if std::env::var(FAULT_FSYNC_ENV).is_ok_and(|v| v.trim() == "1") {
    Err(EngineError::new(
      Code::Io,
      format!(
        "fsync directory '{}': Input/output error (injected)",
        states_dir.display()
      ),
    ))
  } else {
    sync_dir(&states_dir)
  };
  Ok(CommitResult {
    path: path_str(&target),
    name: final_name,
    manifest,
    durable: synced.is_ok(),
    sync_error: synced.err().map(|e| format!("{}: {}", e.code, e.message)),
  })
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn suffixes() {
    assert_eq!(suffixed_name("a.state", 0), "a.state");
    assert_eq!(suffixed_name("a.state", 2), "a_2.state");
    assert_eq!(suffixed_name("a", 1), "a_1");
    assert_eq!(suffixed_name(".state", 1), ".state_1");
  }
}
