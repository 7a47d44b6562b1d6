//! The Rust engine against the conformance data (conformance/README.md at the repository root): every
//! vector of conformance/vectors/ and the committed state trees of every format. Each evaluator below
//! mirrors the one of the same kind in __test__/conformance/evaluate.ts: it builds the vector's
//! input, calls the engine and compares the outcome, in the same JSON form, with the recorded one.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use pamiq_engine::lock::{probe, ClaimLock};
use pamiq_engine::{
  commit_state, encode_numbers, read_state, remove_leftovers, remove_states, scan_list,
  scan_states, snapshot_clone, snapshot_copy, verify_state, xxh3_hex, CommitRequest, Digest,
  EngineError, Library, ListScan, Manifest, Problem, Writer,
};
use serde_json::{json, Map, Value};

fn root() -> PathBuf {
  Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance")
}

fn read_json(rel: &str) -> Value {
  let path = root().join(rel);
  let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
  serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn to_hex(bytes: &[u8]) -> String {
  bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
  assert!(s.len().is_multiple_of(2), "odd hex length: {s}");
  (0..s.len())
    .step_by(2)
    .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or_else(|_| panic!("bad hex: {s}")))
    .collect()
}

/// A number of the notation: a JSON number, or a string (decimal, NaN, ±Infinity, -0, bits:<hex>).
fn read_number(v: &Value) -> f64 {
  match v {
    Value::Number(n) => n.as_f64().expect("a number"),
    Value::String(s) => match s.as_str() {
      "NaN" => f64::NAN,
      "Infinity" => f64::INFINITY,
      "-Infinity" => f64::NEG_INFINITY,
      s if s.starts_with("bits:") => {
        f64::from_bits(u64::from_str_radix(&s[5..], 16).expect("bits"))
      }
      s => s
        .parse()
        .unwrap_or_else(|_| panic!("not a number of the notation: {s}")),
    },
    other => panic!("not a number of the notation: {other}"),
  }
}

/// A comparable form of a double: its bits, any NaN as one value (the notation writes NaN once).
fn number_key(x: f64) -> String {
  if x.is_nan() {
    "NaN".into()
  } else {
    format!("{:016x}", x.to_bits())
  }
}

fn read_bytes(b: &Value) -> Vec<u8> {
  if let Some(h) = b.get("hex") {
    return unhex(h.as_str().unwrap());
  }
  if let Some(s) = b.get("utf8") {
    return s.as_str().unwrap().as_bytes().to_vec();
  }
  let a = &b["affine"];
  let (mul, add, m, len) = (
    a["mul"].as_u64().unwrap(),
    a["add"].as_u64().unwrap(),
    a["mod"].as_u64().unwrap(),
    a["length"].as_u64().unwrap(),
  );
  (0..len).map(|i| ((i * mul + add) % m) as u8).collect()
}

/// Writes a tree of the notation below `root`.
fn write_tree(root: &Path, tree: &Value) {
  fs::create_dir_all(root).unwrap();
  let Some(tree) = tree.as_object() else { return };
  for (rel, entry) in tree {
    let abs = rel
      .split('/')
      .filter(|p| !p.is_empty())
      .fold(root.to_path_buf(), |p, s| p.join(s));
    fs::create_dir_all(abs.parent().unwrap()).unwrap();
    match entry {
      Value::String(s) => fs::write(&abs, s).unwrap(),
      Value::Object(o) if o.contains_key("hex") => {
        fs::write(&abs, unhex(o["hex"].as_str().unwrap())).unwrap()
      }
      Value::Object(o) if o.contains_key("symlink") => {
        std::os::unix::fs::symlink(o["symlink"].as_str().unwrap(), &abs).unwrap()
      }
      Value::Object(o) if o.contains_key("dir") => fs::create_dir_all(&abs).unwrap(),
      other => panic!("not a tree entry: {other}"),
    }
  }
}

/// Sorted relative paths below `dir`, directories ending in `/` (`listTree` of evaluate.ts).
fn list_tree(dir: &Path, prefix: &str) -> Vec<String> {
  let mut names: Vec<String> = fs::read_dir(dir.join(prefix))
    .unwrap()
    .map(|e| e.unwrap().file_name().into_string().unwrap())
    .collect();
  names.sort();
  let mut out = Vec::new();
  for name in names {
    let rel = if prefix.is_empty() {
      name
    } else {
      format!("{prefix}/{name}")
    };
    if fs::symlink_metadata(dir.join(&rel)).unwrap().is_dir() {
      out.push(format!("{rel}/"));
      out.extend(list_tree(dir, &rel));
    } else {
      out.push(rel);
    }
  }
  out
}

fn place_dir(s: &str, dir: &Path) -> String {
  s.replace(dir.to_str().unwrap(), "<dir>")
}

fn error(e: &EngineError) -> Value {
  json!({ "error": e.code.as_str() })
}

fn manifest_json(m: &Manifest) -> Value {
  serde_json::to_value(m).unwrap()
}

fn problems_json(p: &[Problem]) -> Value {
  Value::Array(
    p.iter()
      .map(|p| json!({ "path": p.path, "fault": p.fault.as_str(), "detail": p.detail }))
      .collect(),
  )
}

fn digest_json(d: &Digest) -> Value {
  json!({ "size": d.size, "xxh3": d.xxh3 })
}

/// Outcome of a vector on the Rust engine; `None` when the input cannot be expressed through the
/// Rust signature (the binding refuses it before the engine, e.g. a negative width).
fn evaluate(kind: &str, input: &Value, scratch: &Path) -> Option<Value> {
  Some(match kind {
    "xxh3" => json!({ "xxh3": xxh3_hex(&read_bytes(&input["bytes"])) }),

    "encode-numbers" => {
      let width = input["width"].as_u64()? as usize;
      let values: Vec<f64> = input["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(read_number)
        .collect();
      match encode_numbers(&values, width) {
        Ok(b) => json!({ "hex": to_hex(&b) }),
        Err(e) => error(&e),
      }
    }

    "scan-list" => {
      let bytes = unhex(input["hex"].as_str().unwrap());
      match scan_list(&bytes, input["offset"].as_u64().unwrap() as usize) {
        Ok(ListScan::Numbers {
          count,
          width,
          values,
          end,
        }) => json!({
          "kind": "numbers", "count": count, "width": width,
          "values": values.iter().map(|&x| number_key(x)).collect::<Vec<_>>(), "end": end,
        }),
        Ok(ListScan::Tensors {
          count,
          dtypes,
          offsets,
          byte_lengths,
          end,
        }) => json!({
          "kind": "tensors", "count": count, "dtypes": dtypes,
          "offsets": offsets.iter().map(|&x| x as u64).collect::<Vec<_>>(),
          "byteLengths": byte_lengths.iter().map(|&x| x as u64).collect::<Vec<_>>(), "end": end,
        }),
        Ok(ListScan::Mixed { count, end }) => {
          json!({ "kind": "mixed", "count": count, "end": end })
        }
        Err(e) => error(&e),
      }
    }

    "state" => {
      write_tree(scratch, &input["tree"]);
      let path = scratch.join(
        input
          .get("state")
          .and_then(Value::as_str)
          .unwrap_or("state"),
      );
      let verify = match verify_state(&path) {
        Ok(r) => {
          json!({ "manifest": manifest_json(&r.manifest), "problems": problems_json(&r.problems) })
        }
        Err(e) => error(&e),
      };
      let read = match read_state(&path) {
        Ok(r) => {
          let files: Map<String, Value> = r
            .files
            .iter()
            .map(|(p, b)| (p.clone(), json!({ "size": b.len(), "xxh3": xxh3_hex(b) })))
            .collect();
          json!({ "manifest": manifest_json(&r.manifest), "problems": problems_json(&r.problems), "files": files })
        }
        Err(e) => error(&e),
      };
      json!({ "verify": verify, "read": read })
    }

    "scan" => {
      write_tree(scratch, &input["tree"]);
      let states = scratch.join(
        input
          .get("states")
          .and_then(Value::as_str)
          .unwrap_or("states"),
      );
      match scan_states(&states, input["pattern"].as_str().unwrap()) {
        Ok(r) => {
          let entries: Vec<Value> = r
            .entries
            .iter()
            .map(|e| {
              let mut o = Map::new();
              o.insert("name".into(), json!(e.name));
              o.insert("path".into(), json!(place_dir(&e.path, scratch)));
              o.insert("valid".into(), json!(e.valid));
              o.insert("mtimeMsIsNumber".into(), json!(e.mtime_ms.is_finite()));
              let mut opt = |k: &str, v: Option<Value>| {
                if let Some(v) = v {
                  o.insert(k.into(), v);
                }
              };
              opt("reason", e.reason.as_ref().map(|x| json!(x)));
              opt("createdAtNs", e.created_at_ns.as_ref().map(|x| json!(x)));
              opt("seq", e.seq.map(|x| json!(x)));
              opt("size", e.size.map(|x| json!(x)));
              opt("fileCount", e.file_count.map(|x| json!(x)));
              opt("components", e.components.as_ref().map(|x| json!(x)));
              Value::Object(o)
            })
            .collect();
          json!({ "entries": entries, "leftovers": r.leftovers })
        }
        Err(e) => error(&e),
      }
    }

    "commit" => {
      let states_dir = scratch.join("states");
      let tmp_dir = states_dir.join(".pamiq-tmp-c");
      write_tree(&states_dir, input.get("existing").unwrap_or(&Value::Null));
      write_tree(&tmp_dir, &input["tmp"]);
      let known: HashMap<String, Digest> = input
        .get("known")
        .and_then(Value::as_object)
        .map(|k| {
          k.iter()
            .map(|(p, d)| {
              let digest = Digest {
                size: d["size"].as_u64().unwrap(),
                xxh3: d["xxh3"].as_str().unwrap().into(),
              };
              (p.clone(), digest)
            })
            .collect()
        })
        .unwrap_or_default();
      let req = CommitRequest {
        tmp_dir,
        states_dir: states_dir.clone(),
        name: input["name"].as_str().unwrap().into(),
        known,
        library: serde_json::from_value::<LibraryIn>(input["library"].clone())
          .unwrap()
          .into(),
        created_at_ns: input["createdAtNs"].as_str().unwrap().into(),
        components: serde_json::from_value(input["components"].clone()).unwrap(),
      };
      let result = match commit_state(&req) {
        Ok(r) => json!({
          "name": r.name,
          "path": place_dir(&r.path, scratch),
          "durable": r.durable,
          "manifest": manifest_json(&r.manifest),
          "manifestText": fs::read_to_string(Path::new(&r.path).join("manifest.json")).unwrap(),
        }),
        Err(e) => error(&e),
      };
      json!({ "result": result, "after": list_tree(&states_dir, "") })
    }

    "writer" => {
      let path = scratch.join("out.bin");
      if let Some(existing) = input.get("existing") {
        fs::write(&path, unhex(existing.as_str().unwrap())).unwrap();
      }
      let mut w = Writer::new(&path);
      for (i, segments) in input["appends"].as_array().unwrap().iter().enumerate() {
        let segs: Vec<Vec<u8>> = segments
          .as_array()
          .unwrap()
          .iter()
          .map(|s| unhex(s.as_str().unwrap()))
          .collect();
        if let Err(e) = w.append(&segs) {
          w.abort();
          return Some(
            json!({ "failedAppend": i, "error": e.code.as_str(), "contents": to_hex(&fs::read(&path).unwrap()) }),
          );
        }
      }
      let digest = w.finish().unwrap();
      json!({ "digest": digest_json(&digest), "contents": to_hex(&fs::read(&path).unwrap()) })
    }

    "remove" => {
      write_tree(scratch, &input["tree"]);
      let paths: Vec<String> = input["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
          scratch
            .join(p.as_str().unwrap())
            .to_str()
            .unwrap()
            .to_string()
        })
        .collect();
      let outcomes = remove_states(&paths).unwrap();
      let after = list_tree(scratch, "");
      let trash_left = after.iter().filter(|p| p.contains(".pamiq-trash-")).count();
      let outcomes: Vec<Value> = outcomes
        .iter()
        .map(|o| {
          let mut v = json!({ "path": place_dir(&o.path, scratch), "removed": o.removed });
          if let Some(err) = &o.error {
            v["errorCode"] = json!(err.split(':').next().unwrap());
          }
          v
        })
        .collect();
      json!({ "outcomes": outcomes, "after": after, "trashLeft": trash_left })
    }

    "remove-leftovers" => {
      write_tree(scratch, &input["tree"]);
      match remove_leftovers(&scratch.join("states")) {
        Ok(mut removed) => {
          removed.sort();
          json!({ "removed": removed, "after": list_tree(scratch, "") })
        }
        Err(e) => error(&e),
      }
    }

    "snapshot" => {
      write_tree(scratch, &input["tree"]);
      let src = scratch.join(input["src"].as_str().unwrap());
      let dest = scratch.join(input["dest"].as_str().unwrap());
      let run = || -> Result<Value, EngineError> {
        let listing = snapshot_clone(&src, &dest)?;
        let digests = snapshot_copy(&src, &dest, &listing)?;
        let contents: Map<String, Value> = listing
          .files
          .iter()
          .map(|f| {
            (
              f.path.clone(),
              json!(to_hex(&fs::read(dest.join(&f.path)).unwrap())),
            )
          })
          .collect();
        Ok(json!({
          "dirs": listing.dirs,
          "files": listing.files.iter().map(|f| json!({
            "path": f.path, "size": f.size,
            "mtimeNsIsDecimal": !f.mtime_ns.is_empty() && f.mtime_ns.bytes().all(|b| b.is_ascii_digit()),
          })).collect::<Vec<_>>(),
          "digests": digests.iter().map(|d| json!({ "path": d.path, "size": d.digest.size, "xxh3": d.digest.xxh3 })).collect::<Vec<_>>(),
          "contents": contents,
          "destTree": list_tree(&dest, ""),
        }))
      };
      run().unwrap_or_else(|e| error(&e))
    }

    "lock" => {
      write_tree(scratch, input.get("tree").unwrap_or(&Value::Null));
      let path = scratch.join(input["path"].as_str().unwrap());
      if input["op"] == "probe" {
        match probe(&path) {
          Ok(p) => json!({ "probe": p.as_str() }),
          Err(e) => error(&e),
        }
      } else {
        let contents = input.get("contents").and_then(Value::as_str).unwrap_or("");
        match ClaimLock::create(&path, contents.as_bytes()) {
          Ok(mut claim) => {
            let os_lock = claim.held();
            let while_held = probe(&path).unwrap().as_str();
            let text = fs::read_to_string(&path).unwrap();
            claim.release();
            let after = probe(&path).unwrap().as_str();
            json!({ "osLock": os_lock, "whileHeld": while_held, "text": text, "afterRelease": after })
          }
          Err(e) => error(&e),
        }
      }
    }

    other => panic!("no Rust evaluator for vectors of kind {other}"),
  })
}

#[derive(serde::Deserialize)]
struct LibraryIn {
  name: String,
  version: String,
}

impl From<LibraryIn> for Library {
  fn from(l: LibraryIn) -> Library {
    Library {
      name: l.name,
      version: l.version,
    }
  }
}

/// The recorded outcome in the form the Rust evaluator gives (scan-list values as bit keys).
fn normalize(kind: &str, expect: &Value) -> Value {
  let mut e = expect.clone();
  if kind == "scan-list" {
    if let Some(values) = e.get_mut("values") {
      *values = Value::Array(
        values
          .as_array()
          .unwrap()
          .iter()
          .map(|v| json!(number_key(read_number(v))))
          .collect(),
      );
    }
  }
  e
}

/// Every vector file: the Rust engine's outcome must be the recorded one (native's where the outcomes
/// are per backend). Returns a failure line per mismatching vector.
#[test]
fn vectors() {
  let mut failures = Vec::new();
  let mut run = 0;
  let mut inexpressible = Vec::new();
  let mut kinds: Vec<String> = fs::read_dir(root().join("vectors"))
    .unwrap()
    .map(|e| e.unwrap().file_name().into_string().unwrap())
    .filter(|n| n.ends_with(".json"))
    .map(|n| n.trim_end_matches(".json").to_string())
    .collect();
  kinds.sort();
  assert!(kinds.len() >= 11, "vector files: {kinds:?}");
  for kind in &kinds {
    let file = read_json(&format!("vectors/{kind}.json"));
    assert_eq!(
      file["kind"].as_str(),
      Some(kind.as_str()),
      "vectors/{kind}.json names its kind"
    );
    for v in file["vectors"].as_array().unwrap() {
      let name = v["name"].as_str().unwrap();
      if v
        .get("knownDifference")
        .and_then(|d| d.get("native"))
        .is_some()
      {
        inexpressible.push(format!("{kind} / {name} (known native difference)"));
        continue;
      }
      let expect = v
        .get("expect")
        .or_else(|| v.get("perBackend").map(|p| &p["native"]))
        .unwrap();
      let scratch = tempfile::tempdir().unwrap();
      let Some(got) = evaluate(kind, &v["input"], scratch.path()) else {
        inexpressible.push(format!("{kind} / {name}"));
        continue;
      };
      run += 1;
      let want = normalize(kind, expect);
      if got != want {
        failures.push(format!(
          "{kind} / {name}:\n  expected {want}\n  got      {got}"
        ));
      }
    }
  }
  eprintln!(
    "conformance: {run} vectors run in Rust; not expressible through the Rust signature (checked by the ava spec on native): {inexpressible:?}"
  );
  assert!(run >= 150, "only {run} vectors ran");
  assert!(
    failures.is_empty(),
    "{} of {run} vectors differ:\n{}",
    failures.len(),
    failures.join("\n")
  );
}

/// Every committed state tree verifies intact, reads with the recorded digests and scans as valid.
#[test]
fn state_trees_of_every_format() {
  let mut formats: Vec<String> = fs::read_dir(root().join("states"))
    .unwrap()
    .map(|e| e.unwrap().file_name().into_string().unwrap())
    .collect();
  formats.sort();
  assert!(
    formats.contains(&"format-1".to_string()) && formats.contains(&"format-2".to_string()),
    "{formats:?}"
  );
  for format in formats {
    let dir = root().join("states").join(&format);
    let fx = read_json(&format!("states/{format}/expected.json"));
    let name = fx["state"].as_str().unwrap();
    let state = dir.join(name);
    let report = verify_state(&state).unwrap_or_else(|e| panic!("{format}: {e}"));
    assert!(
      report.problems.is_empty(),
      "{format}: {:?}",
      report.problems
    );
    assert_eq!(
      manifest_json(&report.manifest),
      fx["manifest"],
      "{format}: manifest"
    );
    let read = read_state(&state).unwrap();
    assert!(read.problems.is_empty(), "{format}: {:?}", read.problems);
    let files: Vec<Value> = read
      .files
      .iter()
      .map(|(p, b)| json!({ "path": p, "size": b.len(), "xxh3": xxh3_hex(b) }))
      .collect();
    assert_eq!(
      Value::Array(files),
      fx["manifest"]["files"],
      "{format}: files read"
    );
    let scan = scan_states(&dir, "*.state").unwrap();
    assert!(scan.leftovers.is_empty(), "{format}: {:?}", scan.leftovers);
    assert_eq!(scan.entries.len(), 1, "{format}");
    let e = &scan.entries[0];
    assert!(e.valid, "{format}: {:?}", e.reason);
    assert_eq!(e.name, name);
    assert_eq!(
      e.created_at_ns.as_deref(),
      fx["manifest"]["createdAtNs"].as_str(),
      "{format}"
    );
    assert_eq!(
      e.seq,
      fx["manifest"].get("seq").and_then(Value::as_u64),
      "{format}: seq"
    );
    assert_eq!(
      e.file_count,
      Some(fx["manifest"]["files"].as_array().unwrap().len() as u64)
    );
  }
}

/// Every committed buffer file has the size and XXH3 its expected.json gives (the codec that decodes
/// them is TypeScript; the ava spec checks the items they load to).
#[test]
fn buffer_files_of_every_version() {
  let mut versions: Vec<String> = fs::read_dir(root().join("buffer-files"))
    .unwrap()
    .map(|e| e.unwrap().file_name().into_string().unwrap())
    .collect();
  versions.sort();
  assert!(
    versions.contains(&"v1".to_string()) && versions.contains(&"v2".to_string()),
    "{versions:?}"
  );
  for version in versions {
    let fx = read_json(&format!("buffer-files/{version}/expected.json"));
    let files = fx["files"].as_object().unwrap();
    assert!(!files.is_empty(), "{version}");
    for (name, f) in files {
      let path = root()
        .join("buffer-files")
        .join(&version)
        .join(format!("{name}.msgpack"));
      let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
      assert_eq!(
        json!({ "size": bytes.len(), "xxh3": xxh3_hex(&bytes) }),
        f["file"],
        "buffer-files/{version}/{name}.msgpack"
      );
    }
  }
}
