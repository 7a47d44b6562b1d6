//! Times `scan_states` and its steps over a directory:
//! `cargo run --release --example scan_time -- DIR [PATTERN]`.
use std::time::Instant;

fn cpu() -> f64 {
  let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
  let f: Vec<&str> = s[s.rfind(')').unwrap_or(0) + 2..].split(' ').collect();
  let t = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
  (t(11) + t(12)) * 10.0
}

fn main() {
  let mut args = std::env::args().skip(1);
  let dir = args.next().expect("DIR");
  let pattern = args.next().unwrap_or_else(|| "*.state".into());
  let d = std::path::Path::new(&dir);
  let step = |name: &str, f: &dyn Fn() -> usize| {
    for _ in 0..3 {
      let (t, c) = (Instant::now(), cpu());
      let n = f();
      println!(
        "{name}: {:.1} ms wall, {:.0} ms cpu, {n}",
        t.elapsed().as_secs_f64() * 1e3,
        cpu() - c
      );
    }
  };
  let names: Vec<String> = std::fs::read_dir(d)
    .unwrap()
    .map(|e| e.unwrap().file_name().into_string().unwrap())
    .collect();
  step("readdir", &|| std::fs::read_dir(d).unwrap().count());
  step("stat", &|| {
    names
      .iter()
      .filter(|n| std::fs::metadata(d.join(n)).is_ok())
      .count()
  });
  step("read manifest", &|| {
    names
      .iter()
      .filter(|n| std::fs::read(d.join(n).join("manifest.json")).is_ok())
      .count()
  });
  step("read+parse", &|| {
    names
      .iter()
      .filter(|n| {
        std::fs::read(d.join(n).join("manifest.json"))
          .ok()
          .and_then(|b| pamiq_engine::parse_manifest(&b).ok())
          .is_some()
      })
      .count()
  });
  step("scan_states", &|| {
    pamiq_engine::scan_states(d, &pattern)
      .unwrap()
      .entries
      .len()
  });
}
