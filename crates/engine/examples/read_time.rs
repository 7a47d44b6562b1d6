//! Times `read_state` over a state directory, with a plain read of its largest file beside it:
//! `cargo run --release --example read_time -- STATE_DIR`.
use std::io::Read;
use std::time::Instant;

fn main() {
  let dir = std::env::args().nth(1).expect("STATE_DIR");
  let d = std::path::Path::new(&dir);
  for _ in 0..5 {
    let t = Instant::now();
    let r = pamiq_engine::read_state(d).expect("read_state");
    let read_ms = t.elapsed().as_secs_f64() * 1e3;
    let (path, len) = r
      .files
      .iter()
      .max_by_key(|(_, b)| b.len())
      .map(|(p, b)| (p.clone(), b.len()))
      .expect("a file");
    let t = Instant::now();
    let mut f = std::fs::File::open(d.join(&path)).unwrap();
    let mut v = Vec::with_capacity(len);
    f.read_to_end(&mut v).unwrap();
    let plain_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let h = xxhash_rust::xxh3::xxh3_64(&v);
    let hash_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    drop(r);
    let drop_ms = t.elapsed().as_secs_f64() * 1e3;
    println!(
      "read_state {read_ms:.1} ms; plain read of {path} ({} bytes) {plain_ms:.1} ms, xxh3 {hash_ms:.1} ms ({h:x}), drop {drop_ms:.1} ms",
      v.len()
    );
  }
}
