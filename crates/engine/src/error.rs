//! Errors of the engine: a stable `code` (docs/engine.md) plus a message that names the path.

use std::fmt;
use std::io;
use std::path::Path;

/// The error codes shared with the TypeScript twin (docs/engine.md, "Error codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
  /// A path does not exist.
  NotFound,
  /// The writer's target file already exists.
  Exists,
  /// The directory has no `manifest.json`.
  NotState,
  /// `manifest.json` is unparsable or has the wrong shape.
  BadManifest,
  /// `formatVersion` is newer than this engine understands.
  NewerFormat,
  /// A symlink or special file inside a state being committed.
  BadEntry,
  /// Malformed list bytes.
  BadMsgpack,
  /// An invalid argument (not an OS error); not one of the documented codes, see the report.
  InvalidArg,
  /// Anything else from the OS.
  Io,
}

impl Code {
  /// The code as the string the JavaScript side sees.
  pub fn as_str(self) -> &'static str {
    match self {
      Code::NotFound => "ENOENT",
      Code::Exists => "EEXIST",
      Code::NotState => "ENOTSTATE",
      Code::BadManifest => "EBADMANIFEST",
      Code::NewerFormat => "ENEWERFORMAT",
      Code::BadEntry => "EBADENTRY",
      Code::BadMsgpack => "EBADMSGPACK",
      Code::InvalidArg => "EINVAL",
      Code::Io => "EIO",
    }
  }
}

impl fmt::Display for Code {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str(self.as_str())
  }
}

/// An engine error: a code and a human-readable message naming the path concerned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct EngineError {
  pub code: Code,
  pub message: String,
}

impl EngineError {
  pub fn new(code: Code, message: impl Into<String>) -> Self {
    EngineError {
      code,
      message: message.into(),
    }
  }

  /// Maps an OS error of operation `op` on `path`: not found → ENOENT, already exists → EEXIST, else EIO.
  /// The message keeps the OS text, e.g. `open '/s/x.state/a': No such file or directory (os error 2)`.
  pub fn io(err: &io::Error, op: &str, path: &Path) -> Self {
    let code = match err.kind() {
      io::ErrorKind::NotFound => Code::NotFound,
      io::ErrorKind::AlreadyExists => Code::Exists,
      _ => Code::Io,
    };
    EngineError::new(code, format!("{op} '{}': {err}", path.display()))
  }
}

/// The engine's result type.
pub type Result<T> = std::result::Result<T, EngineError>;

/// Adds the operation and path to an `io::Result`.
pub trait IoContext<T> {
  fn ctx(self, op: &str, path: &Path) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
  fn ctx(self, op: &str, path: &Path) -> Result<T> {
    self.map_err(|e| EngineError::io(&e, op, path))
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn io_errors_map_to_codes() {
    let p = Path::new("/x/y");
    let e = EngineError::io(&io::Error::from(io::ErrorKind::NotFound), "open", p);
    assert_eq!(e.code, Code::NotFound);
    assert!(e.message.contains("/x/y"));
    let e = EngineError::io(&io::Error::from(io::ErrorKind::AlreadyExists), "open", p);
    assert_eq!(e.code, Code::Exists);
    let e = EngineError::io(&io::Error::from(io::ErrorKind::PermissionDenied), "open", p);
    assert_eq!(e.code, Code::Io);
    assert_eq!(e.to_string(), format!("EIO: {}", e.message));
  }
}
