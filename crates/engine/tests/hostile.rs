#![cfg(unix)]
//! Hostile and damaged states directories: FIFOs, oversized manifests, symlinked path components,
//! sequence numbers across a clock that jumped, the manifest's own checksum, and mutating writers.

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

use pamiq_engine::manifest::{parse_manifest, MAX_MANIFEST_BYTES};
use pamiq_engine::{
  commit_state, read_state, scan_states, verify_state, xxh3_hex, Code, CommitRequest, Fault,
  Library, Writer,
};

fn commit(states: &Path, name: &str, created_at_ns: &str) -> PathBuf {
  let tmp = states.join(format!(".pamiq-tmp-{name}"));
  fs::create_dir_all(tmp.join("a/b")).unwrap();
  fs::write(tmp.join("a/b/f.bin"), b"payload").unwrap();
  let req = CommitRequest {
    tmp_dir: tmp,
    states_dir: states.to_path_buf(),
    name: name.into(),
    known: HashMap::new(),
    library: Library {
      name: "pamiq-core".into(),
      version: "0.1.0".into(),
    },
    created_at_ns: created_at_ns.into(),
    components: vec!["a".into()],
  };
  let r = commit_state(&req).unwrap();
  assert!(r.durable);
  PathBuf::from(r.path)
}

fn mkfifo(p: &Path) {
  let ok = Command::new("mkfifo").arg(p).status().unwrap().success();
  assert!(ok, "mkfifo {}", p.display());
}

/// A FIFO named manifest.json is refused at once by load, verify and scan (no open() that blocks).
#[test]
fn fifo_manifest_never_blocks() {
  let root = tempfile::tempdir().unwrap();
  let d = root.path().join("f.state");
  fs::create_dir(&d).unwrap();
  mkfifo(&d.join("manifest.json"));
  let e = verify_state(&d).unwrap_err();
  assert_eq!(e.code, Code::BadManifest);
  assert!(
    e.message.ends_with("manifest.json: not a regular file"),
    "{}",
    e.message
  );
  assert_eq!(read_state(&d).unwrap_err().code, Code::BadManifest);
  let s = scan_states(root.path(), "*").unwrap();
  assert_eq!(
    s.entries[0].reason.as_deref(),
    Some("manifest.json: not a regular file")
  );
}

/// Manifests are bounded: a sparse file past the limit and a symlink to /dev/zero are refused
/// without being read.
#[test]
fn manifest_size_is_bounded() {
  let root = tempfile::tempdir().unwrap();
  let d = root.path().join("big.state");
  fs::create_dir(&d).unwrap();
  let f = fs::File::create(d.join("manifest.json")).unwrap();
  f.set_len(8 << 30).unwrap();
  let e = verify_state(&d).unwrap_err();
  assert_eq!(e.code, Code::BadManifest);
  assert!(e.message.ends_with(&format!(
    "manifest.json: larger than {MAX_MANIFEST_BYTES} bytes"
  )));
  let z = root.path().join("zero.state");
  fs::create_dir(&z).unwrap();
  symlink("/dev/zero", z.join("manifest.json")).unwrap();
  assert!(verify_state(&z)
    .unwrap_err()
    .message
    .ends_with("not a regular file"));
  let s = scan_states(root.path(), "*").unwrap();
  assert_eq!(s.entries.len(), 2);
  assert!(s.entries.iter().all(|e| !e.valid));
}

/// A listed file reached through a symlinked directory is not opened: verify reports it and never
/// hashes the file outside the state.
#[test]
fn verify_never_leaves_the_state() {
  let root = tempfile::tempdir().unwrap();
  let states = root.path().join("states");
  fs::create_dir(&states).unwrap();
  let s = commit(&states, "s.state", "1");
  let outside = root.path().join("outside");
  fs::create_dir_all(outside.join("b")).unwrap();
  fs::write(outside.join("b/f.bin"), b"payload").unwrap(); // same bytes: would verify if followed
  fs::rename(s.join("a"), root.path().join("moved")).unwrap();
  symlink(&outside, s.join("a")).unwrap();
  let r = verify_state(&s).unwrap();
  let p = r
    .problems
    .iter()
    .find(|p| p.path == "a/b/f.bin")
    .expect("a problem for a/b/f.bin");
  assert_eq!(p.fault, Fault::Unreadable);
  assert!(p.detail.contains("symlink"), "{}", p.detail);
  assert!(!read_state(&s).unwrap().problems.is_empty());
}

/// Sequence numbers grow per directory whatever the clock says, and order scans before the time.
#[test]
fn seq_orders_states_across_a_clock_jump() {
  let root = tempfile::tempdir().unwrap();
  let a = commit(root.path(), "a.state", "2000000000000000000"); // clock ahead
  let b = commit(root.path(), "b.state", "1000000000000000000"); // clock corrected
  let ma = read_state(&a).unwrap().manifest;
  let mb = read_state(&b).unwrap().manifest;
  assert_eq!((ma.seq, mb.seq), (Some(1), Some(2)));
  let s = scan_states(root.path(), "*").unwrap();
  let names: Vec<_> = s.entries.iter().map(|e| e.name.as_str()).collect();
  assert_eq!(
    names,
    ["a.state", "b.state"],
    "the later save is the newest"
  );
}

/// A bit flipped anywhere in a committed manifest makes verify refuse the state.
#[test]
fn committed_manifest_checksum_catches_a_flip() {
  let root = tempfile::tempdir().unwrap();
  let s = commit(root.path(), "s.state", "1764075695123456789");
  let p = s.join("manifest.json");
  let good = fs::read(&p).unwrap();
  assert!(parse_manifest(&good).unwrap().manifest_xxh3.is_some());
  let at = good.windows(4).position(|w| w == b"1764").unwrap();
  let mut bad = good.clone();
  bad[at] ^= 0x08; // '1' -> '9': dated 8 centuries later
  fs::write(&p, &bad).unwrap();
  let e = verify_state(&s).unwrap_err();
  assert_eq!(e.code, Code::BadManifest);
  assert!(e.message.contains("checksum mismatch"), "{}", e.message);
}

/// The writer hashes exactly what it writes, over several bounce buffers and the fault limit.
#[test]
fn writer_hash_matches_file_across_bounce_buffers() {
  let root = tempfile::tempdir().unwrap();
  let p = root.path().join("big.bin");
  let a: Vec<u8> = (0..(9usize << 20)).map(|i| (i * 31 % 251) as u8).collect();
  let segs: Vec<&[u8]> = vec![&a[..3], &a[3..(5 << 20)], &[], &a[(5 << 20)..]];
  let mut w = Writer::with_fault_limit(&p, None);
  w.append(&segs).unwrap();
  w.append(&[&a[..100]]).unwrap();
  let d = w.finish().unwrap();
  let on_disk = fs::read(&p).unwrap();
  assert_eq!(d.size, on_disk.len() as u64);
  assert_eq!(d.xxh3, xxh3_hex(&on_disk));
  assert_eq!(&on_disk[..a.len()], &a[..]);
}
