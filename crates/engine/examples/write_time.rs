//! Times the engine's Writer against one plain write + fsync of the same bytes:
//! `cargo run --release --example write_time -- DIR [MB]`.
use std::io::Write;
use std::time::Instant;

fn main() {
  let mut args = std::env::args().skip(1);
  let dir = std::path::PathBuf::from(args.next().expect("DIR"));
  let mb: usize = args.next().map_or(410, |v| v.parse().expect("MB"));
  let data: Vec<u8> = (0..mb << 20).map(|i| (i * 31 + (i >> 12)) as u8).collect();
  std::fs::create_dir_all(&dir).unwrap();
  for round in 0..3 {
    let p = dir.join(format!("plain-{round}"));
    let t = Instant::now();
    let mut f = std::fs::File::create(&p).unwrap();
    f.write_all(&data).unwrap();
    f.sync_all().unwrap();
    let plain = t.elapsed().as_secs_f64() * 1e3;
    std::fs::remove_file(&p).unwrap();
    let p = dir.join(format!("writer-{round}"));
    let t = Instant::now();
    let mut w = pamiq_engine::Writer::new(&p);
    for chunk in data.chunks(64 << 20) {
      w.append(&[chunk]).unwrap();
    }
    let written = t.elapsed().as_secs_f64() * 1e3;
    w.finish().unwrap();
    let writer = t.elapsed().as_secs_f64() * 1e3;
    std::fs::remove_file(&p).unwrap();
    let t = Instant::now();
    let h = xxhash_rust::xxh3::xxh3_64(&data);
    let hash = t.elapsed().as_secs_f64() * 1e3;
    println!(
      "{mb} MB: plain write+fsync {plain:.0} ms ({:.0} MB/s); Writer {writer:.0} ms ({:.0} MB/s; appends {written:.0} ms); xxh3 alone {hash:.0} ms ({h:x})",
      mb as f64 * 1.048576 / plain * 1e3,
      mb as f64 * 1.048576 / writer * 1e3
    );
  }
}
