//! End-to-end: write a state with writers, commit it, read / verify / scan / remove it.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use pamiq_engine::manifest::parse_manifest;
use pamiq_engine::{
  commit_state, read_state, remove_leftovers, remove_states, scan_states, verify_state, xxh3_hex,
  Code, CommitRequest, Fault, Library, Writer,
};

fn request(
  states: &Path,
  tmp: &Path,
  name: &str,
  known: HashMap<String, pamiq_engine::Digest>,
) -> CommitRequest {
  CommitRequest {
    tmp_dir: tmp.to_path_buf(),
    states_dir: states.to_path_buf(),
    name: name.into(),
    known,
    library: Library {
      name: "pamiq-core".into(),
      version: "0.1.0".into(),
    },
    created_at_ns: "1764075695123456789".into(),
    components: vec!["data".into(), "time".into()],
  }
}

/// A temporary save dir with a writer-written file, a plain file and an empty directory.
fn fill(states: &Path, tag: &str) -> (PathBuf, HashMap<String, pamiq_engine::Digest>) {
  let tmp = states.join(format!(".pamiq-tmp-{tag}-1-0000abcd"));
  fs::create_dir_all(tmp.join("data/buf")).unwrap();
  fs::create_dir_all(tmp.join("models/empty")).unwrap();
  let mut w = Writer::with_fault_limit(tmp.join("data/buf/buffer.msgpack"), None);
  w.append(&[&b"\x81\xa1a"[..], &b"\x01"[..]]).unwrap();
  let d = w.finish().unwrap();
  fs::write(
    tmp.join("time.msgpack"),
    b"\xcb\x00\x00\x00\x00\x00\x00\x00\x00",
  )
  .unwrap();
  let mut known = HashMap::new();
  known.insert("data/buf/buffer.msgpack".to_string(), d);
  (tmp, known)
}

#[test]
fn commit_read_verify_scan_remove() {
  let root = tempfile::tempdir().unwrap();
  let states = root.path();
  let (tmp, known) = fill(states, "a");
  let res = commit_state(&request(states, &tmp, "s.state", known)).unwrap();
  assert_eq!(res.name, "s.state");
  assert!(Path::new(&res.path).is_absolute());
  assert!(!tmp.exists());
  let dir = states.join("s.state");
  let text = fs::read_to_string(dir.join("manifest.json")).unwrap();
  assert_eq!(text, res.manifest.to_json());
  assert!(!text.ends_with('\n'));
  let paths: Vec<&str> = res.manifest.files.iter().map(|f| f.path.as_str()).collect();
  assert_eq!(paths, ["data/buf/buffer.msgpack", "time.msgpack"]);
  assert_eq!(
    res.manifest.files[1].xxh3,
    xxh3_hex(&fs::read(dir.join("time.msgpack")).unwrap())
  );
  assert_eq!(parse_manifest(text.as_bytes()).unwrap(), res.manifest);

  // Same name again: suffixed.
  let (tmp2, known2) = fill(states, "b");
  let res2 = commit_state(&request(states, &tmp2, "s.state", known2)).unwrap();
  assert_eq!(res2.name, "s_1.state");

  let r = read_state(&dir).unwrap();
  assert!(r.problems.is_empty(), "{:?}", r.problems);
  assert_eq!(r.files.len(), 2);
  assert_eq!(r.files[0].1, b"\x81\xa1a\x01");
  assert!(verify_state(&dir).unwrap().problems.is_empty());

  // Damage: wrong size, wrong checksum, missing, unexpected.
  let dir2 = states.join("s_1.state");
  fs::write(
    dir2.join("time.msgpack"),
    b"\xcb\x00\x00\x00\x00\x00\x00\x00\x01",
  )
  .unwrap();
  fs::write(dir2.join("data/buf/buffer.msgpack"), b"xx").unwrap();
  fs::write(dir2.join("models/extra.bin"), b"x").unwrap();
  let v = verify_state(&dir2).unwrap();
  let faults: Vec<(&str, Fault)> = v
    .problems
    .iter()
    .map(|p| (p.path.as_str(), p.fault))
    .collect();
  assert_eq!(
    faults,
    [
      ("data/buf/buffer.msgpack", Fault::Size),
      ("models/extra.bin", Fault::Unexpected),
      ("time.msgpack", Fault::Checksum)
    ]
  );
  assert_eq!(v.problems[0].detail, "expected 4 bytes, found 2");
  let r = read_state(&dir2).unwrap();
  assert_eq!(r.problems, v.problems);
  assert!(r.files.is_empty());
  fs::remove_file(dir2.join("time.msgpack")).unwrap();
  assert_eq!(
    verify_state(&dir2).unwrap().problems.last().unwrap().fault,
    Fault::Missing
  );

  // Scan: an invalid entry, a non-matching name, a leftover, a dot-name.
  fs::create_dir(states.join("broken.state")).unwrap();
  fs::create_dir(states.join("other")).unwrap();
  fs::create_dir(states.join(".pamiq-trash-x-12345678")).unwrap();
  fs::create_dir(states.join(".hidden.state")).unwrap();
  let s = scan_states(states, "*.state").unwrap();
  let names: Vec<&str> = s.entries.iter().map(|e| e.name.as_str()).collect();
  assert_eq!(names, ["s.state", "s_1.state", "broken.state"]);
  assert_eq!(s.entries[2].reason.as_deref(), Some("no manifest.json"));
  assert!(!s.entries[2].valid);
  assert_eq!(s.entries[0].size, Some(13));
  assert_eq!(s.entries[0].file_count, Some(2));
  assert_eq!(s.leftovers, [".pamiq-trash-x-12345678"]);

  // Remove.
  let out = remove_states(&[
    dir.to_string_lossy().into_owned(),
    states.join("nope").to_string_lossy().into_owned(),
  ])
  .unwrap();
  assert!(out[0].removed && out[0].error.is_none());
  assert!(!out[1].removed);
  assert!(out[1].error.as_deref().unwrap().starts_with("ENOENT: "));
  assert!(!dir.exists());
  assert_eq!(
    remove_leftovers(states).unwrap(),
    [".pamiq-trash-x-12345678"]
  );
  assert!(remove_leftovers(states).unwrap().is_empty());
}

#[test]
fn read_errors() {
  let root = tempfile::tempdir().unwrap();
  let d = root.path();
  assert_eq!(
    read_state(&d.join("missing")).unwrap_err().code,
    Code::NotFound
  );
  fs::create_dir(d.join("x")).unwrap();
  assert_eq!(read_state(&d.join("x")).unwrap_err().code, Code::NotState);
  fs::write(d.join("x/manifest.json"), b"{ nope").unwrap();
  let e = verify_state(&d.join("x")).unwrap_err();
  assert_eq!(e.code, Code::BadManifest);
  assert!(
    e.message.ends_with("manifest.json: invalid JSON"),
    "{}",
    e.message
  );
  assert!(e.message.contains(&d.join("x").display().to_string()));
  fs::write(
    d.join("x/manifest.json"),
    br#"{"format":"pamiq-state","formatVersion":3}"#,
  )
  .unwrap();
  assert_eq!(
    read_state(&d.join("x")).unwrap_err().code,
    Code::NewerFormat
  );
  let s = scan_states(d, "*").unwrap();
  assert_eq!(
    s.entries[0].reason.as_deref(),
    Some("format version 3 is newer than 2")
  );
  assert_eq!(
    scan_states(&d.join("missing"), "*").unwrap_err().code,
    Code::NotFound
  );
}

#[cfg(unix)]
#[test]
fn symlink_is_bad_entry() {
  let root = tempfile::tempdir().unwrap();
  let states = root.path();
  let (tmp, known) = fill(states, "c");
  std::os::unix::fs::symlink("/etc/passwd", tmp.join("link")).unwrap();
  let e = commit_state(&request(states, &tmp, "s.state", known)).unwrap_err();
  assert_eq!(e.code, Code::BadEntry);
  assert!(e.message.contains("link"));
  assert!(tmp.exists());
  assert!(!states.join("s.state").exists());
}
