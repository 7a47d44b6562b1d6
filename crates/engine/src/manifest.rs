//! `manifest.json`: the typed manifest, its byte-exact serialization (`JSON.stringify(m, null, 2)`)
//! and a defensive parser that never panics on arbitrary bytes.
//!
//! Format 2 adds `seq` (the per-directory sequence number, after `createdAtNs`) and a last member
//! `manifestXxh3`: the XXH3 of the manifest text without that member (the "body", i.e.
//! `JSON.stringify(body, null, 2)`). The file is the body whose closing `\n}` is replaced by
//! `,\n  "manifestXxh3": "<16 hex>"\n}`, so the checksum is checked on the raw bytes: any change of
//! the file (one flipped bit included) fails the check. Format 1 (no `seq`, no checksum) still loads.

use std::borrow::Cow;
use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::Code;
use xxhash_rust::xxh3::Xxh3Default;

use crate::hash::{hex, is_hex16, xxh3_hex};

/// The only value of `format`.
pub const FORMAT: &str = "pamiq-state";
/// The newest format version this engine reads and the one it writes.
pub const FORMAT_VERSION: u64 = 2;
/// Largest manifest read (bytes); larger ones are refused with EBADMANIFEST.
pub const MAX_MANIFEST_BYTES: u64 = 64 << 20;
/// Name of the manifest's own checksum member (format 2).
pub const CHECKSUM_KEY: &str = "manifestXxh3";
/// What precedes the checksum's 16 hex digits at the end of a format-2 manifest.
const TRAILER_HEAD: &[u8] = b",\n  \"manifestXxh3\": \"";
/// What follows them.
const TRAILER_TAIL: &[u8] = b"\"\n}";
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
  /// Per-directory sequence number (format 2; absent in format 1).
  #[serde(skip_serializing_if = "Option::is_none")]
  pub seq: Option<u64>,
  pub components: Vec<String>,
  pub files: Vec<ManifestFile>,
  /// XXH3 of the manifest body (format 2). Recomputed by [`Manifest::to_json`].
  #[serde(skip_serializing_if = "Option::is_none")]
  pub manifest_xxh3: Option<String>,
}

impl Manifest {
  /// The manifest body: the text without `manifestXxh3` (two-space indentation, no trailing newline).
  fn body_json(&self) -> String {
    let mut body = self.clone();
    body.manifest_xxh3 = None;
    // Serializing plain strings and integers cannot fail.
    serde_json::to_string_pretty(&body).unwrap_or_default()
  }

  /// The checksum a format-2 manifest of these values carries.
  pub fn checksum(&self) -> String {
    xxh3_hex(self.body_json().as_bytes())
  }

  /// The manifest text: two-space indentation, no trailing newline; from format 2 on, with the
  /// `manifestXxh3` member (computed here) last.
  pub fn to_json(&self) -> String {
    let body = self.body_json();
    if self.format_version < 2 {
      return body;
    }
    let sum = xxh3_hex(body.as_bytes());
    let head = body.strip_suffix("\n}").unwrap_or(&body);
    format!("{head},\n  \"{CHECKSUM_KEY}\": \"{sum}\"\n}}")
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

/// A manifest as the typed fast path reads it: strings borrowed from the bytes where they hold no
/// escapes, unknown members ignored (as the generic path ignores them).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest<'a> {
  #[serde(borrow)]
  format: Cow<'a, str>,
  format_version: u64,
  #[serde(borrow)]
  library: RawLibrary<'a>,
  #[serde(borrow)]
  created_at_ns: Cow<'a, str>,
  seq: Option<u64>,
  #[serde(borrow)]
  components: Vec<Cow<'a, str>>,
  #[serde(borrow)]
  files: Vec<RawFile<'a>>,
  #[serde(borrow)]
  manifest_xxh3: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct RawLibrary<'a> {
  #[serde(borrow)]
  name: Cow<'a, str>,
  #[serde(borrow)]
  version: Cow<'a, str>,
}

#[derive(Deserialize)]
struct RawFile<'a> {
  #[serde(borrow)]
  path: Cow<'a, str>,
  size: u64,
  #[serde(borrow)]
  xxh3: Cow<'a, str>,
}

/// A manifest the typed fast path accepted: every check passed.
struct Checked<'a> {
  raw: RawManifest<'a>,
  seq: Option<u64>,
}

/// Files listed at most this many times are checked for duplicates pairwise, not through a hash set.
const PAIRWISE_DUPLICATE_CHECK: usize = 16;

/// The checks of the typed fast path: the raw manifest when the bytes are a well-formed manifest of the
/// usual shape that passes every check, else `None` (the generic path then finds the exact reason).
/// Whatever it accepts, the generic path accepts with the same result.
fn check_typed(bytes: &[u8]) -> Option<Checked<'_>> {
  let raw: RawManifest = serde_json::from_slice(bytes).ok()?;
  if raw.format != FORMAT || raw.format_version > FORMAT_VERSION || !is_decimal(&raw.created_at_ns)
  {
    return None;
  }
  let seq = match (raw.format_version >= 2, raw.seq) {
    (true, Some(s)) if s <= MAX_SAFE_INTEGER => Some(s),
    (true, _) => return None,
    // A format-1 manifest ignores `seq` (the generic path does not read it).
    (false, _) => None,
  };
  match (raw.format_version >= 2, &raw.manifest_xxh3) {
    (_, Some(sum)) => checked_trailer(bytes, sum).ok()?,
    (true, None) => return None,
    // `"manifestXxh3": null` also reads as None here; the generic path refuses it.
    (false, None) if contains(bytes, b"\"manifestXxh3\"") => return None,
    (false, None) => {}
  }
  let files = &raw.files;
  let mut seen = HashSet::new();
  for (i, f) in files.iter().enumerate() {
    let duplicate = if files.len() <= PAIRWISE_DUPLICATE_CHECK {
      files[..i].iter().any(|g| g.path == f.path)
    } else {
      !seen.insert(&*f.path)
    };
    if duplicate || !is_valid_rel_path(&f.path) || f.size > MAX_SAFE_INTEGER || !is_hex16(&f.xxh3) {
      return None;
    }
  }
  Some(Checked { raw, seq })
}

/// The typed fast path of [`parse_manifest`] (see [`check_typed`]).
fn parse_typed(bytes: &[u8]) -> Option<Manifest> {
  let Checked { raw, seq } = check_typed(bytes)?;
  Some(Manifest {
    format: FORMAT.to_owned(),
    format_version: raw.format_version,
    library: Library {
      name: raw.library.name.into_owned(),
      version: raw.library.version.into_owned(),
    },
    created_at_ns: raw.created_at_ns.into_owned(),
    seq,
    components: raw.components.into_iter().map(Cow::into_owned).collect(),
    files: raw
      .files
      .into_iter()
      .map(|f| ManifestFile {
        path: f.path.into_owned(),
        size: f.size,
        xxh3: f.xxh3.into_owned(),
      })
      .collect(),
    manifest_xxh3: raw.manifest_xxh3.map(Cow::into_owned),
  })
}

/// What a scan keeps of a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestSummary {
  pub created_at_ns: String,
  pub seq: Option<u64>,
  pub components: Vec<String>,
  pub file_count: u64,
  /// Sum of the listed file sizes.
  pub total_size: u64,
}

impl From<Manifest> for ManifestSummary {
  fn from(m: Manifest) -> Self {
    ManifestSummary {
      total_size: m.total_size(),
      file_count: m.files.len() as u64,
      created_at_ns: m.created_at_ns,
      seq: m.seq,
      components: m.components,
    }
  }
}

/// A reader of a format-2 manifest laid out exactly as this library writes it
/// (`JSON.stringify(m, null, 2)` with the checksum member last); see [`parse_canonical`].
struct Canonical<'a> {
  bytes: &'a [u8],
  at: usize,
}

impl<'a> Canonical<'a> {
  /// Consumes `lit` if the bytes continue with it.
  fn lit(&mut self, lit: &[u8]) -> Option<()> {
    let end = self.at.checked_add(lit.len())?;
    (self.bytes.get(self.at..end)? == lit).then(|| self.at = end)
  }

  /// Whether the bytes continue with `lit` (consumed if so).
  fn eat(&mut self, lit: &[u8]) -> bool {
    self.lit(lit).is_some()
  }

  /// A JSON string without escapes or control characters: its text is its value.
  fn plain_str(&mut self) -> Option<&'a str> {
    self.lit(b"\"")?;
    let rest = self.bytes.get(self.at..)?;
    let len = rest
      .iter()
      .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    if rest[len] != b'"' {
      return None;
    }
    let s = std::str::from_utf8(&rest[..len]).ok()?;
    self.at += len + 1;
    Some(s)
  }

  /// A JSON integer in `0..=MAX_SAFE_INTEGER` written without sign, fraction, exponent or leading zero.
  fn safe_uint(&mut self) -> Option<u64> {
    let rest = self.bytes.get(self.at..)?;
    let len = rest
      .iter()
      .position(|b| !b.is_ascii_digit())
      .unwrap_or(rest.len());
    if len == 0 || len > 16 || (len > 1 && rest[0] == b'0') {
      return None;
    }
    let n = rest[..len]
      .iter()
      .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
    self.at += len;
    (n <= MAX_SAFE_INTEGER).then_some(n)
  }
}

/// The fastest path of [`parse_manifest_summary`]: a format-2 manifest laid out byte for byte as this
/// library writes it, with plain strings (no escapes), that passes every check; else `None` (the typed
/// and generic paths then decide). What it accepts, [`parse_manifest`] accepts with the same values: it
/// reads the same members and makes the same checks, only without a general JSON parser.
fn parse_canonical(bytes: &[u8]) -> Option<ManifestSummary> {
  let mut c = Canonical { bytes, at: 0 };
  c.lit(
    b"{\n  \"format\": \"pamiq-state\",\n  \"formatVersion\": 2,\n  \"library\": {\n    \"name\": ",
  )?;
  c.plain_str()?;
  c.lit(b",\n    \"version\": ")?;
  c.plain_str()?;
  c.lit(b"\n  },\n  \"createdAtNs\": ")?;
  let created_at_ns = c.plain_str()?;
  if !is_decimal(created_at_ns) {
    return None;
  }
  c.lit(b",\n  \"seq\": ")?;
  let seq = c.safe_uint()?;
  c.lit(b",\n  \"components\": [")?;
  let mut components = Vec::new();
  if !c.eat(b"]") {
    loop {
      c.lit(b"\n    ")?;
      components.push(c.plain_str()?.to_owned());
      if !c.eat(b",") {
        break;
      }
    }
    c.lit(b"\n  ]")?;
  }
  c.lit(b",\n  \"files\": [")?;
  let mut paths: Vec<&str> = Vec::new();
  let mut seen = HashSet::new();
  let mut total_size = 0u64;
  if !c.eat(b"]") {
    loop {
      c.lit(b"\n    {\n      \"path\": ")?;
      let path = c.plain_str()?;
      c.lit(b",\n      \"size\": ")?;
      let size = c.safe_uint()?;
      c.lit(b",\n      \"xxh3\": ")?;
      let xxh3 = c.plain_str()?;
      c.lit(b"\n    }")?;
      if !is_valid_rel_path(path) || !is_hex16(xxh3) {
        return None;
      }
      let duplicate = if paths.len() < PAIRWISE_DUPLICATE_CHECK {
        paths.contains(&path)
      } else {
        if seen.is_empty() {
          seen.extend(paths.iter().copied());
        }
        !seen.insert(path)
      };
      if duplicate {
        return None;
      }
      paths.push(path);
      total_size = total_size.wrapping_add(size);
      if !c.eat(b",") {
        break;
      }
    }
    c.lit(b"\n  ]")?;
  }
  c.lit(b",\n  \"manifestXxh3\": ")?;
  let stored = c.plain_str()?;
  c.lit(b"\n}")?;
  if c.at != bytes.len() {
    return None;
  }
  checked_trailer(bytes, stored).ok()?;
  Some(ManifestSummary {
    created_at_ns: created_at_ns.to_owned(),
    seq: Some(seq),
    components,
    file_count: paths.len() as u64,
    total_size,
  })
}

/// [`parse_manifest`] reduced to what a scan keeps: the same checks and the same rejections, without
/// copying the file list out of the bytes.
pub fn parse_manifest_summary(bytes: &[u8]) -> Result<ManifestSummary, ManifestError> {
  if let Some(summary) = parse_canonical(bytes) {
    return Ok(summary);
  }
  if let Some(Checked { raw, seq }) = check_typed(bytes) {
    return Ok(ManifestSummary {
      total_size: raw.files.iter().map(|f| f.size).sum(),
      file_count: raw.files.len() as u64,
      created_at_ns: raw.created_at_ns.into_owned(),
      seq,
      components: raw.components.into_iter().map(Cow::into_owned).collect(),
    });
  }
  parse_generic(bytes).map(ManifestSummary::from)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
  haystack.windows(needle.len()).any(|w| w == needle)
}

/// Parses and checks manifest bytes. Never panics.
pub fn parse_manifest(bytes: &[u8]) -> Result<Manifest, ManifestError> {
  if let Some(m) = parse_typed(bytes) {
    return Ok(m);
  }
  parse_generic(bytes)
}

/// [`parse_manifest`] through a generic JSON value: slower, and the one that names what is wrong.
fn parse_generic(bytes: &[u8]) -> Result<Manifest, ManifestError> {
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
  let manifest_xxh3 = check_own_checksum(bytes, &obj, format_version)?;

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
  let seq = if format_version >= 2 {
    Some(
      obj
        .get("seq")
        .and_then(safe_uint)
        .ok_or_else(|| bad("\"seq\" must be a non-negative integer"))?,
    )
  } else {
    None
  };
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
    seq,
    components,
    files,
    manifest_xxh3,
  })
}

/// Checks the manifest's own checksum on the raw bytes. Required from format 2 on; also checked in an
/// older format when the member is there (a flipped `formatVersion` must not switch the check off).
/// Returns the checksum, if any.
fn check_own_checksum(
  bytes: &[u8],
  obj: &Map<String, Value>,
  format_version: u64,
) -> Result<Option<String>, ManifestError> {
  let stored = match obj.get(CHECKSUM_KEY) {
    None if format_version < 2 => return Ok(None),
    None => return Err(bad(format_args!("\"{CHECKSUM_KEY}\" is missing"))),
    Some(Value::String(s)) => s,
    Some(_) => {
      return Err(bad(format_args!(
        "\"{CHECKSUM_KEY}\" must be 16 lowercase hex digits"
      )))
    }
  };
  checked_trailer(bytes, stored).map(|()| Some(stored.to_owned()))
}

/// Checks that `stored` (the `manifestXxh3` member) is 16 lowercase hex digits, is the manifest's last
/// member as written, and is the XXH3 of the body.
fn checked_trailer(bytes: &[u8], stored: &str) -> Result<(), ManifestError> {
  if !is_hex16(stored) {
    return Err(bad(format_args!(
      "\"{CHECKSUM_KEY}\" must be 16 lowercase hex digits"
    )));
  }
  let trailer_len = TRAILER_HEAD.len() + 16 + TRAILER_TAIL.len();
  let well_placed = bytes.len() > trailer_len
    && bytes.ends_with(TRAILER_TAIL)
    && bytes[bytes.len() - trailer_len..].starts_with(TRAILER_HEAD)
    && &bytes[bytes.len() - TRAILER_TAIL.len() - 16..bytes.len() - TRAILER_TAIL.len()]
      == stored.as_bytes();
  if !well_placed {
    return Err(bad(format_args!(
      "\"{CHECKSUM_KEY}\" must be the last member, as written"
    )));
  }
  // The body is the bytes before the trailer, closed by `\n}`: hashed in two pieces, not copied.
  let mut hasher = Xxh3Default::new();
  hasher.update(&bytes[..bytes.len() - trailer_len]);
  hasher.update(b"\n}");
  let found = hasher.digest();
  if u64::from_str_radix(stored, 16) != Ok(found) {
    return Err(bad(format_args!(
      "checksum mismatch: {CHECKSUM_KEY} is {stored}, the manifest hashes to {}",
      hex(found)
    )));
  }
  Ok(())
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
      seq: None,
      manifest_xxh3: None,
    }
  }

  fn sample2() -> Manifest {
    let mut m = sample();
    m.format_version = 2;
    m.seq = Some(7);
    m.manifest_xxh3 = Some(m.checksum());
    m
  }

  #[test]
  fn format2_round_trips_and_ends_with_its_checksum() {
    let m = sample2();
    let text = m.to_json();
    assert!(
      text.contains("\"createdAtNs\": \"1764075695123456789\",\n  \"seq\": 7,\n  \"components\"")
    );
    assert!(text.ends_with(&format!(
      "  ],\n  \"manifestXxh3\": \"{}\"\n}}",
      m.checksum()
    )));
    assert_eq!(parse_manifest(text.as_bytes()), Ok(m));
  }

  /// Every single-bit flip anywhere in a format-2 manifest is refused.
  #[test]
  fn format2_refuses_every_bit_flip() {
    let text = sample2().to_json().into_bytes();
    for i in 0..text.len() {
      for bit in 0..8 {
        let mut b = text.clone();
        b[i] ^= 1 << bit;
        assert!(parse_manifest(&b).is_err(), "byte {i} bit {bit} accepted");
      }
    }
  }

  #[test]
  fn format2_requires_seq_and_checksum() {
    let m = sample2();
    let mut no_sum = m.clone();
    no_sum.format_version = 1;
    let body = no_sum
      .to_json()
      .replace("\"formatVersion\": 1", "\"formatVersion\": 2");
    assert!(parse_manifest(body.as_bytes())
      .unwrap_err()
      .reason
      .contains("is missing"));
    let mut no_seq = m.clone();
    no_seq.seq = None;
    assert!(parse_manifest(no_seq.to_json().as_bytes())
      .unwrap_err()
      .reason
      .contains("\"seq\""));
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
    let e = parse_manifest(br#"{"format":"pamiq-state","formatVersion":3}"#).unwrap_err();
    assert_eq!(e.code, Code::NewerFormat);
    assert_eq!(e.reason, "format version 3 is newer than 2");
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

  /// The typed fast path accepts only what the generic path accepts, with the same result.
  #[test]
  fn typed_path_agrees_with_the_generic_one() {
    let good = [sample().to_json(), sample2().to_json()];
    for text in &good {
      let typed = parse_typed(text.as_bytes());
      assert!(typed.is_some(), "typed path refused {text}");
      assert_eq!(typed.map(Ok), Some(parse_generic(text.as_bytes())));
    }
    let v1 = sample().to_json();
    let v2 = sample2().to_json();
    let odd = [
      v1.replace("\n}", ",\n  \"manifestXxh3\": null\n}"),
      v1.replace("\"formatVersion\": 1", "\"formatVersion\": 1.0"),
      v1.replace(
        "\"formatVersion\": 1",
        "\"formatVersion\": 1, \"seq\": \"x\"",
      ),
      v1.replace(
        "\"formatVersion\": 1",
        "\"formatVersion\": 1, \"format\": \"pamiq-state\"",
      ),
      v1.replace("\"size\": 1234", "\"size\": 1234.0"),
      v1.replace("\"size\": 1234", "\"size\": 9007199254740992"),
      v1.replace(
        "\"xxh3\": \"9b0a3c7e11d2f0aa\"",
        "\"xxh3\": \"9B0A3C7E11D2F0AA\"",
      ),
      v1.replace(
        "\"path\": \"data/buf/buffer.msgpack\"",
        "\"path\": \"data\\/buf\\/buffer.msgpack\"",
      ),
      v1.replace(
        "\"name\": \"pamiq-core\"",
        "\"name\": \"pamiq\\u002dcore\", \"extra\": [1]",
      ),
      v2.replace("\"seq\": 7", "\"seq\": 7.0"),
      v2.replace("\"seq\": 7", "\"seq\": null"),
      v2.replace("\"formatVersion\": 2", "\"formatVersion\": 3"),
      v2.replace(
        "\"createdAtNs\": \"1764075695123456789\"",
        "\"createdAtNs\": \"17640756951234567x9\"",
      ),
    ];
    for text in &odd {
      let generic = parse_generic(text.as_bytes());
      if let Some(m) = parse_typed(text.as_bytes()) {
        assert_eq!(Ok(m), generic, "{text}");
      }
      assert_eq!(parse_manifest(text.as_bytes()), generic, "{text}");
      assert_eq!(
        parse_manifest_summary(text.as_bytes()),
        generic.map(ManifestSummary::from),
        "{text}"
      );
    }
    for text in &good {
      assert_eq!(
        parse_manifest_summary(text.as_bytes()),
        parse_manifest(text.as_bytes()).map(ManifestSummary::from)
      );
    }
  }

  /// The canonical path reads what this library writes (format 2), with the values of the full parse;
  /// it leaves everything else to the other paths; every flipped bit is still refused.
  #[test]
  fn canonical_path_agrees_with_the_full_parse() {
    let m = sample2();
    let text = m.to_json();
    assert_eq!(
      parse_canonical(text.as_bytes()),
      Some(ManifestSummary::from(m.clone()))
    );
    let mut empty = sample2();
    empty.components.clear();
    empty.files.clear();
    empty.manifest_xxh3 = Some(empty.checksum());
    let text_empty = empty.to_json();
    assert_eq!(
      parse_canonical(text_empty.as_bytes()),
      Some(ManifestSummary::from(empty))
    );
    // Format 1, escapes, another layout: not canonical, but the summary is the full parse's.
    let mut escaped = sample2();
    escaped.components = vec!["a\"b".into(), "é\u{1}".into()];
    escaped.manifest_xxh3 = Some(escaped.checksum());
    let compact = serde_json::to_string(&m).unwrap();
    for other in [sample().to_json(), escaped.to_json(), compact] {
      assert_eq!(parse_canonical(other.as_bytes()), None, "{other}");
      assert_eq!(
        parse_manifest_summary(other.as_bytes()),
        parse_manifest(other.as_bytes()).map(ManifestSummary::from)
      );
    }
    let bytes = text.into_bytes();
    for i in 0..bytes.len() {
      for bit in 0..8 {
        let mut b = bytes.clone();
        b[i] ^= 1 << bit;
        assert!(parse_canonical(&b).is_none(), "byte {i} bit {bit} accepted");
        assert!(
          parse_manifest_summary(&b).is_err(),
          "byte {i} bit {bit} accepted"
        );
      }
    }
    // A trailing byte, a leading zero, a number past 2^53 - 1: refused by the canonical path.
    let t = m.to_json();
    assert_eq!(parse_canonical(format!("{t}\n").as_bytes()), None);
    for (from, to) in [
      ("\"seq\": 7", "\"seq\": 07"),
      ("\"seq\": 7", "\"seq\": 9007199254740992"),
    ] {
      let mut odd = m.clone();
      odd.manifest_xxh3 = None;
      let body = odd.to_json().replace(from, to);
      let sum = xxh3_hex(body.as_bytes());
      let sealed = format!(
        "{},\n  \"{CHECKSUM_KEY}\": \"{sum}\"\n}}",
        body.strip_suffix("\n}").unwrap()
      );
      assert_eq!(parse_canonical(sealed.as_bytes()), None, "{sealed}");
      assert_eq!(
        parse_manifest_summary(sealed.as_bytes()),
        parse_manifest(sealed.as_bytes()).map(ManifestSummary::from)
      );
    }
  }

  /// Duplicate paths are found in short file lists (pairwise) and long ones (hash set), by both paths.
  #[test]
  fn duplicate_paths_are_refused_in_short_and_long_lists() {
    for n in [
      2,
      PAIRWISE_DUPLICATE_CHECK,
      PAIRWISE_DUPLICATE_CHECK + 1,
      40,
    ] {
      let mut m = sample2();
      m.files = (0..n)
        .map(|i| ManifestFile {
          path: format!("f/{i}"),
          size: i as u64,
          xxh3: "9b0a3c7e11d2f0aa".into(),
        })
        .collect();
      m.manifest_xxh3 = Some(m.checksum());
      let text = m.to_json();
      let summary = parse_manifest_summary(text.as_bytes()).expect("distinct paths");
      assert_eq!(summary.file_count, n as u64);
      assert_eq!(summary.total_size, m.total_size());
      assert_eq!(parse_manifest(text.as_bytes()), Ok(m.clone()));
      m.files[n - 1].path = "f/0".into();
      m.manifest_xxh3 = Some(m.checksum());
      let text = m.to_json();
      assert!(check_typed(text.as_bytes()).is_none());
      assert!(parse_canonical(text.as_bytes()).is_none());
      let reason = parse_manifest_summary(text.as_bytes()).unwrap_err().reason;
      assert!(reason.contains("is listed twice"), "{reason}");
    }
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
