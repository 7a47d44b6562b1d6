//! Byte vectors produced in node by the libraries the TypeScript twin uses: `@msgpack/msgpack` 3.1.3
//! `encode(x)` and hash-wasm `xxhash3()`. The native engine must reproduce them exactly.

use pamiq_engine::{encode_numbers, xxh3_hex};

fn hex(bytes: &[u8]) -> String {
  bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const NUMBERS: &[(f64, &str)] = &[
  (0.0, "00"),
  (-0.0, "00"),
  (1.0, "01"),
  (127.0, "7f"),
  (128.0, "cc80"),
  (255.0, "ccff"),
  (256.0, "cd0100"),
  (65535.0, "cdffff"),
  (65536.0, "ce00010000"),
  (4294967295.0, "ceffffffff"),
  (4294967296.0, "cf0000000100000000"),
  (9007199254740991.0, "cf001fffffffffffff"),
  (9007199254740992.0, "cb4340000000000000"),
  (-9007199254740991.0, "d3ffe0000000000001"),
  (-9007199254740992.0, "cbc340000000000000"),
  (-1.0, "ff"),
  (-32.0, "e0"),
  (-33.0, "d0df"),
  (-128.0, "d080"),
  (-129.0, "d1ff7f"),
  (-32768.0, "d18000"),
  (-32769.0, "d2ffff7fff"),
  (-2147483648.0, "d280000000"),
  (-2147483649.0, "d3ffffffff7fffffff"),
  (0.5, "cb3fe0000000000000"),
  (-0.5, "cbbfe0000000000000"),
  (1e300, "cb7e37e43c8800759c"),
  (-1e-300, "cb81a56e1fc2f8f359"),
  (f64::NAN, "cb7ff8000000000000"),
  (f64::INFINITY, "cb7ff0000000000000"),
  (f64::NEG_INFINITY, "cbfff0000000000000"),
  (1.7976931348623157e308, "cb7fefffffffffffff"),
  (5e-324, "cb0000000000000001"),
  (123456.789, "cb40fe240c9fbe76c9"),
  (9007199254740994.0, "cb4340000000000001"),
  (-1152921504606846976.0, "cbc3b0000000000000"),
];

#[test]
fn numbers_match_msgpack_js() {
  for &(x, expected) in NUMBERS {
    assert_eq!(hex(&encode_numbers(&[x], 0).unwrap()), expected, "{x}");
  }
}

#[test]
fn nan_payloads_are_canonical() {
  // The format fixes NaN to 0x7ff8000000000000 (docs/engine.md), whatever its payload or sign.
  for bits in [0x7ff0_0000_0000_0001u64, 0xfff8_0000_0000_0000] {
    assert_eq!(
      hex(&encode_numbers(&[f64::from_bits(bits)], 0).unwrap()),
      "cb7ff8000000000000"
    );
  }
}

#[test]
fn rows_match_msgpack_js() {
  // encode([[1, 2.5], [3, -4]]) minus the outer array header (0x92).
  assert_eq!(
    hex(&encode_numbers(&[1.0, 2.5, 3.0, -4.0], 2).unwrap()),
    "9201cb40040000000000009203fc"
  );
  // A row of 20 → array16 header dc0014.
  let row = vec![1.0; 20];
  assert!(hex(&encode_numbers(&row, 20).unwrap()).starts_with("dc001401"));
}

#[test]
fn xxh3_matches_hash_wasm() {
  assert_eq!(xxh3_hex(b""), "2d06800538d394c2");
  assert_eq!(xxh3_hex(b"a"), "e6c632b61e964e1f");
  assert_eq!(xxh3_hex(b"hello world"), "d447b1ea40e6988b");
  let seq: Vec<u8> = (0..1000u32).map(|i| (i & 255) as u8).collect();
  assert_eq!(xxh3_hex(&seq), "d33dd80b46f60e50");
  let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
  assert_eq!(xxh3_hex(&big), "fc0f7694d76899d1");
}
