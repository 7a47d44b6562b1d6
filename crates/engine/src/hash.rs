//! XXH3-64 (seed 0) as 16 lowercase hex digits, the form hash-wasm's `xxhash3()` prints.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use xxhash_rust::xxh3::{xxh3_64, Xxh3Default};

use crate::error::{IoContext, Result};

/// Size and XXH3-64 hex of a file's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
  pub size: u64,
  pub xxh3: String,
}

/// Hex form of an XXH3-64 value (big-endian canonical form, zero-padded).
pub fn hex(h: u64) -> String {
  format!("{h:016x}")
}

/// XXH3-64 hex of `bytes`.
pub fn xxh3_hex(bytes: &[u8]) -> String {
  hex(xxh3_64(bytes))
}

/// Whether `s` is 16 lowercase hex digits.
pub fn is_hex16(s: &str) -> bool {
  s.len() == 16
    && s
      .bytes()
      .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Chunk size of streaming reads.
pub const CHUNK: usize = 1 << 20;

/// Streams `file` (named `path` in errors) through XXH3 and returns its size and hash.
pub fn hash_reader(file: &mut File, path: &Path) -> Result<Digest> {
  let mut hasher = Xxh3Default::new();
  let mut buf = vec![0u8; CHUNK];
  let mut size = 0u64;
  loop {
    let n = match file.read(&mut buf) {
      Ok(n) => n,
      Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
      Err(e) => return Err(e).ctx("read", path),
    };
    if n == 0 {
      break;
    }
    let chunk = buf.get(..n).unwrap_or_default();
    hasher.update(chunk);
    size += n as u64;
  }
  Ok(Digest {
    size,
    xxh3: hex(hasher.digest()),
  })
}

#[cfg(test)]
mod tests {
  use super::*;

  /// Vectors checked against hash-wasm 4.x `xxhash3()` in node (see the report).
  #[test]
  fn matches_hash_wasm() {
    assert_eq!(xxh3_hex(b""), "2d06800538d394c2");
    assert_eq!(xxh3_hex(b"a"), "e6c632b61e964e1f");
    assert_eq!(xxh3_hex(b"hello world"), "d447b1ea40e6988b");
  }

  #[test]
  fn streaming_equals_one_shot() {
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut h = Xxh3Default::new();
    for c in data.chunks(4097) {
      h.update(c);
    }
    assert_eq!(hex(h.digest()), xxh3_hex(&data));
  }

  #[test]
  fn hex16() {
    assert!(is_hex16("0123456789abcdef"));
    assert!(!is_hex16("0123456789ABCDEF"));
    assert!(!is_hex16("0123"));
  }
}
