//! Robustness property tests of the parsers that read untrusted bytes: the list scanner, the manifest
//! parser, and the state readers on directories holding arbitrary manifests. Structure-aware inputs
//! (valid encodings, then mutated) reach deeper than plain random bytes. Nothing may panic (a panic
//! inside an N-API task aborts node), and an accepted input must be sane: a scan ends inside the input,
//! tensor data lies inside it, and no accepted manifest reaches outside its state directory.
//!
//! A few hundred cases per property by default; `PROPTEST_CASES=100000 cargo test -p pamiq-engine
//! --release --test fuzz_robustness` runs a long fuzz (`node --import tsx __test__/reliability/fuzz.ts`
//! runs it together with the JS-level fuzz).

use std::fs;

use pamiq_engine::list::ListScan;
use pamiq_engine::manifest::parse_manifest;
use pamiq_engine::numbers::encode_array_header;
use pamiq_engine::{read_state, scan_list, scan_states, verify_state, xxh3_hex};
use proptest::prelude::*;
use serde_json::{json, Value};

fn cases(default: u32) -> u32 {
  std::env::var("PROPTEST_CASES")
    .ok()
    .and_then(|s| s.parse().ok())
    .unwrap_or(default)
}

/// One msgpack item of a list: a number, an array of numbers, a typed array (ext 1) or other values.
fn item() -> impl Strategy<Value = Vec<u8>> {
  prop_oneof![
    any::<i8>().prop_map(|v| {
      let mut out = Vec::new();
      rmp::encode::write_sint(&mut out, v as i64).unwrap();
      out
    }),
    any::<f64>().prop_map(|v| {
      let mut out = vec![0xcb];
      out.extend(v.to_bits().to_be_bytes());
      out
    }),
    (
      1u8..12,
      0u8..8,
      proptest::collection::vec(any::<u8>(), 0..40)
    )
      .prop_map(|(dtype, pad, data)| {
        let mut payload = vec![dtype, pad];
        payload.extend(std::iter::repeat_n(0, pad as usize));
        payload.extend(data);
        let mut out = Vec::new();
        rmp::encode::write_ext_meta(&mut out, payload.len() as u32, 1).unwrap();
        out.extend(payload);
        out
      }),
    proptest::collection::vec(any::<i8>(), 0..4).prop_map(|vs| {
      let mut out = Vec::new();
      encode_array_header(&mut out, vs.len() as u32);
      for v in vs {
        rmp::encode::write_sint(&mut out, v as i64).unwrap();
      }
      out
    }),
    "[a-z]{0,8}".prop_map(|s| {
      let mut out = Vec::new();
      rmp::encode::write_str(&mut out, &s).unwrap();
      out
    }),
    Just(vec![0xc0]),
    Just(vec![0x80]),
  ]
}

/// A list: an array header (possibly lying about the count) and items.
fn list() -> impl Strategy<Value = Vec<u8>> {
  (
    proptest::collection::vec(item(), 0..12),
    prop_oneof![Just(0i64), -2i64..3, Just(1 << 20)],
  )
    .prop_map(|(items, lie)| {
      let mut out = Vec::new();
      let n = (items.len() as i64 + lie).clamp(0, u32::MAX as i64) as u32;
      encode_array_header(&mut out, n);
      for i in items {
        out.extend(i);
      }
      out
    })
}

#[derive(Debug, Clone)]
enum Mutation {
  Flip(usize, u8),
  Truncate(usize),
  Insert(usize, Vec<u8>),
  None,
}

fn mutation() -> impl Strategy<Value = Mutation> {
  prop_oneof![
    (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
    any::<usize>().prop_map(Mutation::Truncate),
    (
      any::<usize>(),
      prop::sample::select(vec![
        vec![0xc9u8, 0xff, 0xff, 0xff, 0xff, 0x01],
        vec![0xdd, 0xff, 0xff, 0xff, 0xff],
        vec![0xc7, 0xff, 0x01, 0x09, 0xff],
        vec![0xd8, 0x01, 0x0b],
        vec![0xdb, 0x7f, 0xff, 0xff, 0xff],
        vec![0xcb],
      ])
    )
      .prop_map(|(i, b)| Mutation::Insert(i, b)),
    Just(Mutation::None),
  ]
}

fn apply(mut bytes: Vec<u8>, m: &Mutation) -> Vec<u8> {
  match m {
    Mutation::Flip(i, b) if !bytes.is_empty() => {
      let at = i % bytes.len();
      bytes[at] ^= b | 1;
    }
    Mutation::Truncate(i) => bytes.truncate(i % (bytes.len() + 1)),
    Mutation::Insert(i, extra) => {
      let at = i % (bytes.len() + 1);
      bytes.splice(at..at, extra.iter().copied());
    }
    _ => {}
  }
  bytes
}

fn check_scan(bytes: &[u8], offset: usize, scan: &ListScan) -> Result<(), TestCaseError> {
  let end = match scan {
    ListScan::Numbers { end, .. } | ListScan::Tensors { end, .. } | ListScan::Mixed { end, .. } => {
      *end
    }
  };
  prop_assert!(
    end >= offset && end <= bytes.len(),
    "end {} outside [{}, {}]",
    end,
    offset,
    bytes.len()
  );
  if let ListScan::Tensors {
    offsets,
    byte_lengths,
    count,
    dtypes,
    ..
  } = scan
  {
    prop_assert_eq!(offsets.len(), *count as usize);
    prop_assert_eq!(dtypes.len(), *count as usize);
    for (o, l) in offsets.iter().zip(byte_lengths) {
      prop_assert!(
        o + l <= bytes.len() as f64,
        "tensor data [{}, +{}) past {}",
        o,
        l,
        bytes.len()
      );
    }
  }
  Ok(())
}

fn valid_manifest() -> Value {
  json!({
    "format": "pamiq-state",
    "formatVersion": 1,
    "library": { "name": "pamiq-core", "version": "0.1.0" },
    "createdAtNs": "1764075695123456789",
    "components": ["a", "d"],
    "files": [
      { "path": "a.bin", "size": 5, "xxh3": xxh3_hex(b"alpha") },
      { "path": "d/b.bin", "size": 3, "xxh3": xxh3_hex(b"bee") }
    ]
  })
}

fn odd_value() -> impl Strategy<Value = Value> {
  prop::sample::select(vec![
    Value::Null,
    json!(-1),
    json!(0),
    json!(1.5),
    json!(2),
    json!(1e300),
    json!(9007199254740993u64),
    json!(""),
    json!("../outside.bin"),
    json!("/etc/hostname"),
    json!("a//b"),
    json!("a/./b"),
    json!("C:\\x"),
    json!("-1"),
    json!("1e5"),
    json!("18446744073709551616"),
    json!("ABCDEF0123456789"),
    json!([]),
    json!({}),
    json!(true),
    json!("é"),
  ])
}

#[derive(Debug, Clone)]
enum Edit {
  Top(usize, Value),
  File(usize, usize, Value),
  Remove(usize),
  DuplicateFirst,
  Reverse,
}

fn edit() -> impl Strategy<Value = Edit> {
  prop_oneof![
    (any::<usize>(), odd_value()).prop_map(|(k, v)| Edit::Top(k, v)),
    (any::<usize>(), any::<usize>(), odd_value()).prop_map(|(f, k, v)| Edit::File(f, k, v)),
    any::<usize>().prop_map(Edit::Remove),
    Just(Edit::DuplicateFirst),
    Just(Edit::Reverse),
  ]
}

fn edited(edits: &[Edit]) -> Value {
  let mut m = valid_manifest();
  for e in edits {
    let obj = m.as_object_mut().unwrap();
    let keys: Vec<String> = obj.keys().cloned().collect();
    match e {
      Edit::Top(k, v) if !keys.is_empty() => {
        obj.insert(keys[k % keys.len()].clone(), v.clone());
      }
      Edit::Remove(k) if !keys.is_empty() => {
        obj.remove(&keys[k % keys.len()]);
      }
      Edit::File(f, k, v) => {
        if let Some(Value::Array(files)) = obj.get_mut("files") {
          if !files.is_empty() {
            let n = files.len();
            if let Value::Object(file) = &mut files[f % n] {
              let key = ["path", "size", "xxh3"][k % 3];
              file.insert(key.to_owned(), v.clone());
            }
          }
        }
      }
      Edit::DuplicateFirst => {
        if let Some(Value::Array(files)) = obj.get_mut("files") {
          if let Some(first) = files.first().cloned() {
            files.push(first);
          }
        }
      }
      Edit::Reverse => {
        if let Some(Value::Array(files)) = obj.get_mut("files") {
          files.reverse();
        }
      }
      _ => {}
    }
  }
  m
}

fn escapes(path: &str) -> bool {
  let drive =
    path.len() >= 2 && path.as_bytes()[0].is_ascii_alphabetic() && path.as_bytes()[1] == b':';
  drive
    || path.starts_with('/')
    || path.starts_with('\\')
    || path.split(['/', '\\']).any(|s| s == "..")
}

proptest! {
  #![proptest_config(ProptestConfig { cases: cases(300), ..ProptestConfig::default() })]

  #[test]
  fn scan_list_of_mutated_lists_never_panics(bytes in list(), m in mutation(), offset in prop_oneof![Just(0usize), 0usize..64]) {
    let bytes = apply(bytes, &m);
    if let Ok(scan) = scan_list(&bytes, offset) {
      check_scan(&bytes, offset, &scan)?;
    }
  }

  #[test]
  fn scan_list_of_random_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512), offset in 0usize..600) {
    if let Ok(scan) = scan_list(&bytes, offset) {
      check_scan(&bytes, offset, &scan)?;
    }
  }

  #[test]
  fn manifest_parser_survives_edited_manifests(edits in proptest::collection::vec(edit(), 0..4), pretty in any::<bool>(), m in mutation()) {
    let value = edited(&edits);
    let text = if pretty { serde_json::to_vec_pretty(&value).unwrap() } else { serde_json::to_vec(&value).unwrap() };
    let bytes = apply(text, &m);
    if let Ok(manifest) = parse_manifest(&bytes) {
      for f in &manifest.files {
        prop_assert!(!escapes(&f.path), "accepted a path reaching outside the state: {:?}", f.path);
      }
      let mut paths: Vec<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
      paths.dedup();
      prop_assert_eq!(paths.len(), manifest.files.len(), "accepted duplicate paths");
    }
  }
}

proptest! {
  #![proptest_config(ProptestConfig { cases: (cases(300) / 4).max(16), ..ProptestConfig::default() })]

  #[test]
  fn state_readers_survive_arbitrary_manifests(
    edits in proptest::collection::vec(edit(), 0..4),
    m in mutation(),
    raw in proptest::option::weighted(0.2, proptest::collection::vec(any::<u8>(), 0..300)),
  ) {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("x.state");
    fs::create_dir_all(state.join("d")).unwrap();
    fs::write(state.join("a.bin"), b"alpha").unwrap();
    fs::write(state.join("d/b.bin"), b"bee").unwrap();
    fs::write(dir.path().join("outside.bin"), b"alpha").unwrap();
    let bytes = match raw {
      Some(raw) => raw,
      None => apply(serde_json::to_vec_pretty(&edited(&edits)).unwrap(), &m),
    };
    fs::write(state.join("manifest.json"), &bytes).unwrap();
    if let Ok(r) = read_state(&state) {
      for f in &r.manifest.files {
        prop_assert!(!escapes(&f.path));
      }
    }
    let _ = verify_state(&state);
    let scan = scan_states(dir.path(), "*.state");
    prop_assert!(scan.is_ok(), "scanning a directory with one odd state failed: {:?}", scan.err());
  }
}
