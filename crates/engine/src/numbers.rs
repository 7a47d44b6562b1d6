//! `encodeNumbers`: the msgpack items of a numbers list, byte for byte what `@msgpack/msgpack` 3.1.3
//! writes for the same JavaScript numbers (Encoder.encodeNumber with default options). The bytes are
//! written by `rmp::encode`; this module only decides which form a number takes (as the JavaScript
//! encoder does: safe integer → smallest int form, anything else → float64) and canonicalizes NaN.

use std::convert::Infallible;

use rayon::prelude::*;
use rmp::encode::{self, ByteBuf, ValueWriteError};

use crate::error::{Code, EngineError, Result};
use crate::pool;

/// `Number.MAX_SAFE_INTEGER`.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
/// The canonical NaN the format writes.
pub const CANONICAL_NAN: u64 = 0x7ff8_0000_0000_0000;
/// Inputs with at least this many values are encoded in parallel chunks.
pub const PARALLEL_THRESHOLD: usize = 1 << 16;
/// Values per parallel chunk (rounded to whole items).
const CHUNK_VALUES: usize = 1 << 15;

/// Unwraps the result of an `rmp::encode` call into a [`ByteBuf`], whose writes cannot fail.
#[inline]
fn written<T>(r: std::result::Result<T, ValueWriteError<Infallible>>) -> T {
  match r {
    Ok(v) => v,
    Err(ValueWriteError::InvalidMarkerWrite(e) | ValueWriteError::InvalidDataWrite(e)) => {
      match e {}
    }
  }
}

/// Appends one number: safe integers (including -0) in the smallest int form, else float64.
///
/// `rmp::encode::write_sint` picks the same form as `@msgpack/msgpack` for every safe integer:
/// positive fixint, uint8/16/32/64 for values >= 0, negative fixint, int8/16/32/64 below 0.
#[inline]
fn write_number(buf: &mut ByteBuf, x: f64) {
  if x.is_finite() && x.trunc() == x && x.abs() <= MAX_SAFE {
    // Exact: an integer with |x| <= 2^53 - 1 fits i64; -0 converts to 0.
    written(encode::write_sint(buf, x as i64));
  } else {
    let x = if x.is_nan() {
      f64::from_bits(CANONICAL_NAN)
    } else {
      x
    };
    written(encode::write_f64(buf, x));
  }
}

/// Appends through a [`ByteBuf`] (rmp's infallible writer) to a plain vector, without copying.
fn with_buf(out: &mut Vec<u8>, f: impl FnOnce(&mut ByteBuf)) {
  let mut buf = ByteBuf::from_vec(std::mem::take(out));
  f(&mut buf);
  *out = buf.into_vec();
}

/// Appends one number as `encodeNumbers` writes it (see [`write_number`]).
pub fn encode_number(out: &mut Vec<u8>, x: f64) {
  with_buf(out, |buf| write_number(buf, x));
}

/// Appends a msgpack array header for `n` elements (fixarray, array16, array32).
pub fn encode_array_header(out: &mut Vec<u8>, n: u32) {
  with_buf(out, |buf| {
    written(encode::write_array_len(buf, n));
  });
}

fn encode_chunk(values: &[f64], width: usize) -> Vec<u8> {
  let mut buf = ByteBuf::with_capacity(values.len() * 3 + values.len() / width.max(1) * 3);
  if width == 0 {
    for &x in values {
      write_number(&mut buf, x);
    }
  } else {
    for item in values.chunks(width) {
      // `encode_numbers` checked that `width` fits u32.
      written(encode::write_array_len(&mut buf, width as u32));
      for &x in item {
        write_number(&mut buf, x);
      }
    }
  }
  buf.into_vec()
}

/// The items (no list header) of a numbers list: `width == 0` → one number per value; else one array
/// of `width` numbers per `width` values (`values.len()` must be a multiple of `width`).
pub fn encode_numbers(values: &[f64], width: usize) -> Result<Vec<u8>> {
  if width > u32::MAX as usize {
    return Err(EngineError::new(
      Code::InvalidArg,
      format!("width {width} is too large"),
    ));
  }
  if width > 0 && !values.len().is_multiple_of(width) {
    return Err(EngineError::new(
      Code::InvalidArg,
      format!(
        "encodeNumbers: {} values do not split into items of width {width}",
        values.len()
      ),
    ));
  }
  if values.len() < PARALLEL_THRESHOLD {
    return Ok(encode_chunk(values, width));
  }
  let per_chunk = match CHUNK_VALUES.checked_div(width) {
    None => CHUNK_VALUES,
    Some(items) => items.max(1) * width,
  };
  let parts: Vec<Vec<u8>> = pool::install(|| {
    values
      .par_chunks(per_chunk)
      .map(|c| encode_chunk(c, width))
      .collect()
  })?;
  let total = parts.iter().map(Vec::len).sum();
  let mut out = Vec::with_capacity(total);
  for p in parts {
    out.extend_from_slice(&p);
  }
  Ok(out)
}

#[cfg(test)]
mod tests {
  use super::*;

  fn enc(x: f64) -> Vec<u8> {
    let mut v = Vec::new();
    encode_number(&mut v, x);
    v
  }

  #[test]
  fn parallel_equals_serial() {
    let values: Vec<f64> = (0..PARALLEL_THRESHOLD * 3 + 7)
      .map(|i| (i as f64) * 0.5 - 1000.0)
      .collect();
    let serial = encode_chunk(&values, 0);
    assert_eq!(encode_numbers(&values, 0).unwrap(), serial);
    let v3 = &values[..(values.len() / 3) * 3];
    assert_eq!(encode_numbers(v3, 3).unwrap(), encode_chunk(v3, 3));
  }

  #[test]
  fn width_must_divide() {
    assert_eq!(
      encode_numbers(&[1.0, 2.0, 3.0], 2).unwrap_err().code,
      Code::InvalidArg
    );
    assert_eq!(encode_numbers(&[], 2).unwrap(), Vec::<u8>::new());
  }

  #[test]
  fn small_forms() {
    assert_eq!(enc(-0.0), vec![0x00]);
    assert_eq!(enc(-1.0), vec![0xff]);
    assert_eq!(enc(-32.0), vec![0xe0]);
    assert_eq!(enc(f64::NAN), vec![0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0]);
  }
}
