//! Property tests: arbitrary bytes never make the list scanner or the manifest parser panic, and
//! well-formed inputs round-trip.

use pamiq_engine::list::ListScan;
use pamiq_engine::manifest::{parse_manifest, parse_manifest_summary, ManifestSummary, FORMAT};
use pamiq_engine::numbers::encode_array_header;
use pamiq_engine::{encode_numbers, scan_list};
use pamiq_engine::{Library, Manifest, ManifestFile};
use proptest::prelude::*;

proptest! {
  #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

  #[test]
  fn scan_list_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256), offset in 0usize..300) {
    let _ = scan_list(&bytes, offset);
  }

  #[test]
  fn scan_list_of_list_like_bytes_never_panics(
    head in prop::sample::select(vec![0x90u8, 0x91, 0x93, 0x9f, 0xdc, 0xdd]),
    body in proptest::collection::vec(prop_oneof![
      any::<u8>(),
      prop::sample::select(vec![0xc7u8, 0xc8, 0xc9, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0x01, 0x09, 0xcb, 0xdd, 0xdf, 0xdb]),
    ], 0..200),
  ) {
    let mut bytes = vec![head];
    bytes.extend(body);
    if let Ok(scan) = scan_list(&bytes, 0) {
      let end = match scan {
        ListScan::Numbers { end, .. } | ListScan::Tensors { end, .. } | ListScan::Mixed { end, .. } => end,
      };
      prop_assert!(end <= bytes.len());
    }
  }

  #[test]
  fn manifest_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
    let _ = parse_manifest(&bytes);
  }

  #[test]
  fn manifest_parser_on_json_like_text_never_panics(text in "[{}\\[\\]\",:0-9a-zA-Z .\\-]{0,200}") {
    let _ = parse_manifest(text.as_bytes());
  }

  /// Whatever the names (escapes, controls, non-ASCII, duplicates), the scan's summary of a written
  /// manifest is that of the full parse.
  #[test]
  fn manifest_summary_agrees_with_the_full_parse(
    components in proptest::collection::vec("[a-z\"\\\\\u{1}é/]{0,6}", 0..4),
    files in proptest::collection::vec(("[a-z\"\\\\é/.]{0,8}", 0u64..1 << 54), 0..20),
    seq in 0u64..1 << 54,
    format_version in 1u64..3,
  ) {
    let mut m = Manifest {
      format: FORMAT.into(),
      format_version,
      library: Library { name: "pamiq-core".into(), version: "0.1.0".into() },
      created_at_ns: "1764075695123456789".into(),
      seq: (format_version >= 2).then_some(seq),
      components,
      files: files
        .into_iter()
        .map(|(path, size)| ManifestFile { path, size, xxh3: "9b0a3c7e11d2f0aa".into() })
        .collect(),
      manifest_xxh3: None,
    };
    if format_version >= 2 {
      m.manifest_xxh3 = Some(m.checksum());
    }
    let text = m.to_json();
    prop_assert_eq!(
      parse_manifest_summary(text.as_bytes()),
      parse_manifest(text.as_bytes()).map(ManifestSummary::from)
    );
  }

  #[test]
  fn manifest_summary_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
    let _ = parse_manifest_summary(&bytes);
  }

  #[test]
  fn numbers_round_trip(values in proptest::collection::vec(any::<f64>(), 0..200), width in 0usize..4) {
    let n = values.len().checked_div(width).map_or(values.len(), |items| items * width);
    let values = &values[..n];
    let items = encode_numbers(values, width).unwrap();
    let count = n.checked_div(width).unwrap_or(n);
    let mut bytes = Vec::new();
    encode_array_header(&mut bytes, count as u32);
    bytes.extend_from_slice(&items);
    match scan_list(&bytes, 0).unwrap() {
      ListScan::Numbers { count: c, width: w, values: v, end } => {
        prop_assert_eq!(c as usize, count);
        prop_assert_eq!(end, bytes.len());
        if count > 0 {
          prop_assert_eq!(w as usize, width);
        }
        prop_assert_eq!(v.len(), n);
        for (a, b) in v.iter().zip(values) {
          // -0 is written as 0 and NaN canonically; everything else exactly.
          prop_assert!(a == b || (a.is_nan() && b.is_nan()));
        }
      }
      other => prop_assert!(false, "not numbers: {:?}", other),
    }
  }
}
