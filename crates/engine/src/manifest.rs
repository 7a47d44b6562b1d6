//! `manifest.json`: the typed manifest, its byte-exact serialization (`JSON.stringify(m, null, 2)`)
//! and a defensive parser that never panics on arbitrary bytes.

use std::collections::HashSet;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::Code;
use crate::hash::is_hex16;

/// The only value of `format`.
pub const FORMAT: &str = "pamiq-state";
/// The newest format version this engine reads and the one it writes.
pub const FORMAT_VERSION: u64 = 1;
/// File name of the manifest inside a state.
pub const MANIFEST_NAME: &str = "manifest.json";
/// Largest integer a JavaScript number holds exactly.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Library {
  pub name: String,
  pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManifestFile {
  pub path: String,
  pub size: u64,
  pub xxh3: String,
}

/// Field order is the on-disk key order (docs/engine.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
  pub format: String,
  pub format_version: u64,
  pub library: Library,
  pub created_at_ns: String,
  pub components: Vec<String>,
  pub files: Vec<ManifestFile>,
}

impl Manifest {
  /// The manifest text: two-space indentation, no trailing newline.
  pub fn to_json(&self) -> String {
    // Serializing plain strings and integers cannot fail.
    serde_json::to_string_pretty(self).unwrap_or_default()
  }

  /// Sum of the listed file sizes.
  pub fn total_size(&self) -> u64 {
    self.files.iter().map(|f| f.size).sum()
  }
}

/// Why a manifest was rejected: `BadManifest` or `NewerFormat`, and a reason without the state's path,
/// e.g. `manifest.json: invalid JSON`, `manifest.json: "files" must be an array` or `format version 2 is newer than 1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
  pub code: Code,
  pub reason: String,
}

fn bad(reason: impl std::fmt::Display) -> ManifestError {
  ManifestError {
    code: Code::BadManifest,
    reason: format!("manifest.json: {reason}"),
  }
}

/// Whether `p` is an acceptable relative file path: non-empty `/`-separated segments, none of them
/// empty, `.` or `..`, no backslash or NUL, and not the manifest itself.
pub fn is_valid_rel_path(p: &str) -> bool {
  !p.is_empty()
    && p != MANIFEST_NAME
    && !p.contains(['\\', '\0'])
    && p.split('/').all(|s| !s.is_empty() && s != "." && s != "..")
}

/// Whether `s` is a non-empty string of ASCII decimal digits.
pub fn is_decimal(s: &str) -> bool {
  !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn get_str<'a>(obj: &'a Map<String, Value>, key: &str, at: &str) -> Result<&'a str, ManifestError> {
  match obj.get(key) {
    Some(Value::String(s)) => Ok(s),
    _ => Err(bad(format_args!("{at}\"{key}\" must be a string"))),
  }
}

/// A JSON number that is an integer in `0..=MAX_SAFE_INTEGER` (`1.0` counts, as in JavaScript).
fn safe_uint(v: &Value) -> Option<u64> {
  let n = v.as_number()?;
  if let Some(u) = n.as_u64() {
    return (u <= MAX_SAFE_INTEGER).then_some(u);
  }
  let f = n.as_f64()?;
  (f >= 0.0 && f.fract() == 0.0 && f <= MAX_SAFE_INTEGER as f64).then_some(f as u64)
}

/// Parses and checks manifest bytes. Never panics.
pub fn parse_manifest(bytes: &[u8]) -> Result<Manifest, ManifestError> {
  // No position in the reason: JSON.parse (the TypeScript twin) cannot report serde's line/column.
  let value: Value = serde_json::from_slice(bytes).map_err(|_| bad("invalid JSON"))?;
  let Value::Object(obj) = value else {
    return Err(bad("not a JSON object"));
  };
  if obj.get("format").and_then(Value::as_str) != Some(FORMAT) {
    return Err(bad(format_args!("\"format\" must be \"{FORMAT}\"")));
  }
  let version = match obj.get("formatVersion") {
    Some(Value::Number(n)) => n,
    _ => return Err(bad("\"formatVersion\" must be a number")),
  };
  if version.as_f64().is_some_and(|v| v > FORMAT_VERSION as f64) {
    return Err(ManifestError {
      code: Code::NewerFormat,
      reason: format!("format version {version} is newer than {FORMAT_VERSION}"),
    });
  }
  let format_version = safe_uint(&Value::Number(version.clone()))
    .ok_or_else(|| bad("\"formatVersion\" must be a non-negative integer"))?;

  let library = match obj.get("library") {
    Some(Value::Object(lib)) => Library {
      name: get_str(lib, "name", "library.")?.to_owned(),
      version: get_str(lib, "version", "library.")?.to_owned(),
    },
    _ => return Err(bad("\"library\" must be an object")),
  };
  let created_at_ns = get_str(&obj, "createdAtNs", "")?;
  if !is_decimal(created_at_ns) {
    return Err(bad("\"createdAtNs\" must be a decimal string"));
  }
  let components = match obj.get("components") {
    Some(Value::Array(items)) => items
      .iter()
      .enumerate()
      .map(|(i, v)| match v {
        Value::String(s) => Ok(s.clone()),
        _ => Err(bad(format_args!("components[{i}] must be a string"))),
      })
      .collect::<Result<Vec<_>, _>>()?,
    _ => return Err(bad("\"components\" must be an array")),
  };
  let Some(Value::Array(items)) = obj.get("files") else {
    return Err(bad("\"files\" must be an array"));
  };
  let mut files = Vec::with_capacity(items.len());
  let mut seen = HashSet::with_capacity(items.len());
  for (i, item) in items.iter().enumerate() {
    let Value::Object(f) = item else {
      return Err(bad(format_args!("files[{i}] must be an object")));
    };
    let at = format!("files[{i}].");
    let path = get_str(f, "path", &at)?;
    if !is_valid_rel_path(path) {
      return Err(bad(format_args!(
        "files[{i}].path {path:?} is not a valid relative path"
      )));
    }
    if !seen.insert(path) {
      return Err(bad(format_args!(
        "files[{i}].path {path:?} is listed twice"
      )));
    }
    let size = f.get("size").and_then(safe_uint).ok_or_else(|| {
      bad(format_args!(
        "files[{i}].size must be a non-negative integer"
      ))
    })?;
    let xxh3 = get_str(f, "xxh3", &at)?;
    if !is_hex16(xxh3) {
      return Err(bad(format_args!(
        "files[{i}].xxh3 must be 16 lowercase hex digits"
      )));
    }
    files.push(ManifestFile {
      path: path.to_owned(),
      size,
      xxh3: xxh3.to_owned(),
    });
  }
  Ok(Manifest {
    format: FORMAT.to_owned(),
    format_version,
    library,
    created_at_ns: created_at_ns.to_owned(),
    components,
    files,
  })
}

#[cfg(test)]
mod tests {
  use super::*;

  fn sample() -> Manifest {
    Manifest {
      format: FORMAT.into(),
      format_version: 1,
      library: Library {
        name: "pamiq-core".into(),
        version: "0.1.0".into(),
      },
      created_at_ns: "1764075695123456789".into(),
      components: vec!["data".into(), "time".into()],
      files: vec![ManifestFile {
        path: "data/buf/buffer.msgpack".into(),
        size: 1234,
        xxh3: "9b0a3c7e11d2f0aa".into(),
      }],
    }
  }

  /// Equal to `JSON.stringify(m, null, 2)` in node.
  #[test]
  fn serializes_like_json_stringify() {
    let expected = "{\n  \"format\": \"pamiq-state\",\n  \"formatVersion\": 1,\n  \"library\": {\n    \"name\": \"pamiq-core\",\n    \"version\": \"0.1.0\"\n  },\n  \"createdAtNs\": \"1764075695123456789\",\n  \"components\": [\n    \"data\",\n    \"time\"\n  ],\n  \"files\": [\n    {\n      \"path\": \"data/buf/buffer.msgpack\",\n      \"size\": 1234,\n      \"xxh3\": \"9b0a3c7e11d2f0aa\"\n    }\n  ]\n}";
    assert_eq!(sample().to_json(), expected);
    let mut empty = sample();
    empty.components.clear();
    empty.files.clear();
    assert!(empty
      .to_json()
      .contains("\"components\": [],\n  \"files\": []\n}"));
  }

  /// JSON.stringify escapes only `"`, backslash and control characters (lowercase `\u00xx`); so does
  /// serde_json. Checked in node: DEL, U+2028 and `/` stay as they are.
  #[test]
  fn escapes_like_json_stringify() {
    let mut m = sample();
    m.components = vec!["\u{1}\u{1f}\u{7f}\u{2028}é\t\"\\/".into()];
    let expected = "\"\\u0001\\u001f\u{7f}\u{2028}é\\t\\\"\\\\/\"";
    assert!(m.to_json().contains(expected), "{}", m.to_json());
  }

  #[test]
  fn round_trips() {
    let m = sample();
    assert_eq!(parse_manifest(m.to_json().as_bytes()), Ok(m));
  }

  #[test]
  fn rejects() {
    let e = parse_manifest(b"{\"a\":").unwrap_err();
    assert_eq!(e.code, Code::BadManifest);
    assert_eq!(e.reason, "manifest.json: invalid JSON");
    let e = parse_manifest(br#"{"format":"pamiq-state","formatVersion":2}"#).unwrap_err();
    assert_eq!(e.code, Code::NewerFormat);
    assert_eq!(e.reason, "format version 2 is newer than 1");
    let mut j = sample()
      .to_json()
      .replace("data/buf/buffer.msgpack", "../x");
    assert_eq!(
      parse_manifest(j.as_bytes()).unwrap_err().code,
      Code::BadManifest
    );
    j = sample().to_json().replace("1234", "-1");
    assert_eq!(
      parse_manifest(j.as_bytes()).unwrap_err().code,
      Code::BadManifest
    );
    j = sample()
      .to_json()
      .replace("\"1764075695123456789\"", "1764075695123456789");
    assert_eq!(
      parse_manifest(j.as_bytes()).unwrap_err().code,
      Code::BadManifest
    );
    assert_eq!(parse_manifest(b"[]").unwrap_err().code, Code::BadManifest);
    assert_eq!(
      parse_manifest(&[0xff, 0xfe]).unwrap_err().code,
      Code::BadManifest
    );
  }

  #[test]
  fn rel_paths() {
    assert!(is_valid_rel_path("a/b.msgpack"));
    for p in [
      "",
      "/a",
      "a//b",
      "a/./b",
      "a/../b",
      "..",
      "a\\b",
      "manifest.json",
      "a/",
    ] {
      assert!(!is_valid_rel_path(p), "{p}");
    }
    assert!(is_valid_rel_path("x/manifest.json"));
  }
}
