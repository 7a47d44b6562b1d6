//! `scanList`: classify and read a msgpack list (docs/engine.md, "Lists") without decoding generic
//! values. Every read is bounds-checked; malformed bytes give `EBADMSGPACK`, never a panic.

use crate::error::{Code, EngineError, Result};

/// What a list holds.
#[derive(Debug, Clone, PartialEq)]
pub enum ListScan {
  /// Every item a number (`width` 0), or every item an array of exactly `width` numbers.
  /// An empty list is reported as numbers of width 0.
  Numbers {
    count: u32,
    width: u32,
    values: Vec<f64>,
    end: usize,
  },
  /// Every item a typed array (ext type 1).
  Tensors {
    count: u32,
    dtypes: Vec<u8>,
    /// Byte offset of each item's raw data within the scanned bytes.
    offsets: Vec<f64>,
    byte_lengths: Vec<f64>,
    end: usize,
  },
  /// Anything else: the caller decodes `bytes[offset, end)` itself.
  Mixed { count: u32, end: usize },
}

/// Element size of a typed-array dtype code, `None` for an unknown code.
pub fn dtype_size(dtype: u8) -> Option<usize> {
  match dtype {
    1..=3 => Some(1),
    4 | 5 => Some(2),
    6..=8 => Some(4),
    9..=11 => Some(8),
    _ => None,
  }
}

struct Cursor<'a> {
  b: &'a [u8],
  pos: usize,
  start: usize,
}

impl<'a> Cursor<'a> {
  fn err(&self, what: &str) -> EngineError {
    EngineError::new(
      Code::BadMsgpack,
      format!(
        "malformed msgpack list at offset {}: {what} at byte {}",
        self.start, self.pos
      ),
    )
  }

  fn remaining(&self) -> usize {
    self.b.len().saturating_sub(self.pos)
  }

  fn peek(&self) -> Result<u8> {
    self
      .b
      .get(self.pos)
      .copied()
      .ok_or_else(|| self.err("unexpected end"))
  }

  fn take(&mut self, n: usize) -> Result<&'a [u8]> {
    let end = self
      .pos
      .checked_add(n)
      .ok_or_else(|| self.err("length overflow"))?;
    let s = self
      .b
      .get(self.pos..end)
      .ok_or_else(|| self.err("unexpected end"))?;
    self.pos = end;
    Ok(s)
  }

  fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
    let s = self.take(N)?;
    let mut a = [0u8; N];
    a.copy_from_slice(s);
    Ok(a)
  }

  fn u8(&mut self) -> Result<u8> {
    Ok(self.array::<1>()?[0])
  }

  fn u16(&mut self) -> Result<u16> {
    Ok(u16::from_be_bytes(self.array()?))
  }

  fn u32(&mut self) -> Result<u32> {
    Ok(u32::from_be_bytes(self.array()?))
  }

  fn u64(&mut self) -> Result<u64> {
    Ok(u64::from_be_bytes(self.array()?))
  }

  /// Reads a number if the next value is one; otherwise consumes nothing.
  fn try_number(&mut self) -> Result<Option<f64>> {
    let m = self.peek()?;
    let v = match m {
      0x00..=0x7f => {
        self.pos += 1;
        f64::from(m)
      }
      0xe0..=0xff => {
        self.pos += 1;
        f64::from(m as i8)
      }
      0xca..=0xd3 => {
        self.pos += 1;
        match m {
          0xca => f64::from(f32::from_bits(self.u32()?)),
          0xcb => f64::from_bits(self.u64()?),
          0xcc => f64::from(self.u8()?),
          0xcd => f64::from(self.u16()?),
          0xce => f64::from(self.u32()?),
          0xcf => self.u64()? as f64,
          0xd0 => f64::from(self.u8()? as i8),
          0xd1 => f64::from(self.u16()? as i16),
          0xd2 => f64::from(self.u32()? as i32),
          _ => self.u64()? as i64 as f64,
        }
      }
      _ => return Ok(None),
    };
    Ok(Some(v))
  }

  /// Reads an array header if the next value is an array; otherwise consumes nothing.
  fn try_array_len(&mut self) -> Result<Option<u32>> {
    let m = self.peek()?;
    let n = match m {
      0x90..=0x9f => {
        self.pos += 1;
        u32::from(m & 0x0f)
      }
      0xdc => {
        self.pos += 1;
        u32::from(self.u16()?)
      }
      0xdd => {
        self.pos += 1;
        self.u32()?
      }
      _ => return Ok(None),
    };
    Ok(Some(n))
  }

  /// Reads a whole ext value (header and payload) if the next value is one: `(type, payload start,
  /// payload length)`; otherwise consumes nothing.
  fn try_ext(&mut self) -> Result<Option<(i8, usize, usize)>> {
    let m = self.peek()?;
    let len = match m {
      0xd4..=0xd8 => {
        self.pos += 1;
        1usize << (m - 0xd4)
      }
      0xc7 => {
        self.pos += 1;
        usize::from(self.u8()?)
      }
      0xc8 => {
        self.pos += 1;
        usize::from(self.u16()?)
      }
      0xc9 => {
        self.pos += 1;
        self.u32()? as usize
      }
      _ => return Ok(None),
    };
    let ty = self.u8()? as i8;
    let start = self.pos;
    self.take(len)?;
    Ok(Some((ty, start, len)))
  }

  /// Reads `n` array elements that should all be numbers into `values`. At the first non-number the
  /// rest of the array is skipped and `false` returned.
  fn read_numbers(&mut self, n: u32, values: &mut Vec<f64>) -> Result<bool> {
    for k in 0..n {
      match self.try_number()? {
        Some(x) => values.push(x),
        None => {
          self.skip_values(u64::from(n - k))?;
          return Ok(false);
        }
      }
    }
    Ok(true)
  }

  /// Skips `n` complete values of any type, iteratively (no recursion on nesting).
  fn skip_values(&mut self, n: u64) -> Result<()> {
    let mut pending = n;
    while pending > 0 {
      if pending > self.remaining() as u64 {
        return Err(self.err("more values declared than bytes left"));
      }
      pending -= 1;
      let m = self.u8()?;
      let (add, skip): (u64, usize) = match m {
        0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => (0, 0),
        0x80..=0x8f => (2 * u64::from(m & 0x0f), 0),
        0x90..=0x9f => (u64::from(m & 0x0f), 0),
        0xa0..=0xbf => (0, usize::from(m & 0x1f)),
        0xc1 => return Err(self.err("invalid marker 0xc1")),
        0xc4 | 0xd9 => (0, usize::from(self.u8()?)),
        0xc5 | 0xda => (0, usize::from(self.u16()?)),
        0xc6 | 0xdb => (0, self.u32()? as usize),
        0xc7 => (0, usize::from(self.u8()?) + 1),
        0xc8 => (0, usize::from(self.u16()?) + 1),
        0xc9 => (0, self.u32()? as usize + 1),
        0xca => (0, 4),
        0xcb => (0, 8),
        0xcc | 0xd0 => (0, 1),
        0xcd | 0xd1 => (0, 2),
        0xce | 0xd2 => (0, 4),
        0xcf | 0xd3 => (0, 8),
        0xd4 => (0, 2),
        0xd5 => (0, 3),
        0xd6 => (0, 5),
        0xd7 => (0, 9),
        0xd8 => (0, 17),
        0xdc => (u64::from(self.u16()?), 0),
        0xdd => (u64::from(self.u32()?), 0),
        0xde => (2 * u64::from(self.u16()?), 0),
        0xdf => (2 * u64::from(self.u32()?), 0),
      };
      self.take(skip)?;
      pending += add;
    }
    Ok(())
  }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
  Undecided,
  Scalars,
  Width(u32),
  Tensors,
  Mixed,
}

#[derive(Default)]
struct Tensors {
  dtypes: Vec<u8>,
  offsets: Vec<f64>,
  lengths: Vec<f64>,
}

impl Tensors {
  /// Checks an ext-1 payload (`[dtype][pad][pad bytes][data]`) and records where its data sits.
  fn push(&mut self, c: &Cursor<'_>, start: usize, len: usize) -> Result<()> {
    let payload = c
      .b
      .get(start..start + len)
      .ok_or_else(|| c.err("unexpected end"))?;
    let (&dtype, &pad) = match payload {
      [d, p, ..] => (d, p),
      _ => return Err(c.err("typed-array payload shorter than 2 bytes")),
    };
    let size =
      dtype_size(dtype).ok_or_else(|| c.err(&format!("unknown typed-array dtype {dtype}")))?;
    let head = 2 + usize::from(pad);
    if head > len {
      return Err(c.err("typed-array padding beyond its payload"));
    }
    let data_len = len - head;
    if !data_len.is_multiple_of(size) {
      return Err(c.err(&format!(
        "typed-array data of {data_len} bytes is not a multiple of {size}"
      )));
    }
    self.dtypes.push(dtype);
    self.offsets.push((start + head) as f64);
    self.lengths.push(data_len as f64);
    Ok(())
  }
}

/// Classifies and reads the list whose array header starts at `offset` in `bytes`.
pub fn scan_list(bytes: &[u8], offset: usize) -> Result<ListScan> {
  let mut c = Cursor {
    b: bytes,
    pos: offset,
    start: offset,
  };
  if offset > bytes.len() {
    return Err(c.err("offset beyond the end of the bytes"));
  }
  let count = c
    .try_array_len()?
    .ok_or_else(|| c.err("expected an array header"))?;
  if u64::from(count) > c.remaining() as u64 {
    return Err(c.err("more items declared than bytes left"));
  }
  let mut mode = if count == 0 {
    Mode::Scalars
  } else {
    Mode::Undecided
  };
  let mut values: Vec<f64> = Vec::new();
  let mut tensors = Tensors::default();

  for _ in 0..count {
    mode = match mode {
      Mode::Mixed => {
        c.skip_values(1)?;
        Mode::Mixed
      }
      Mode::Undecided => {
        if let Some(x) = c.try_number()? {
          values.reserve(count as usize);
          values.push(x);
          Mode::Scalars
        } else if let Some(n) = c.try_array_len()? {
          if n == 0 {
            Mode::Mixed
          } else if c.read_numbers(n, &mut values)? {
            Mode::Width(n)
          } else {
            Mode::Mixed
          }
        } else if let Some((ty, start, len)) = c.try_ext()? {
          if ty == 1 {
            tensors.push(&c, start, len)?;
            Mode::Tensors
          } else {
            Mode::Mixed
          }
        } else {
          c.skip_values(1)?;
          Mode::Mixed
        }
      }
      Mode::Scalars => match c.try_number()? {
        Some(x) => {
          values.push(x);
          Mode::Scalars
        }
        None => {
          c.skip_values(1)?;
          Mode::Mixed
        }
      },
      Mode::Width(w) => match c.try_array_len()? {
        Some(n) if n == w => {
          if c.read_numbers(n, &mut values)? {
            Mode::Width(w)
          } else {
            Mode::Mixed
          }
        }
        Some(n) => {
          c.skip_values(u64::from(n))?;
          Mode::Mixed
        }
        None => {
          c.skip_values(1)?;
          Mode::Mixed
        }
      },
      Mode::Tensors => match c.try_ext()? {
        Some((1, start, len)) => {
          tensors.push(&c, start, len)?;
          Mode::Tensors
        }
        Some(_) => Mode::Mixed,
        None => {
          c.skip_values(1)?;
          Mode::Mixed
        }
      },
    };
  }
  let end = c.pos;
  Ok(match mode {
    Mode::Undecided | Mode::Scalars => ListScan::Numbers {
      count,
      width: 0,
      values,
      end,
    },
    Mode::Width(width) => ListScan::Numbers {
      count,
      width,
      values,
      end,
    },
    Mode::Tensors => ListScan::Tensors {
      count,
      dtypes: tensors.dtypes,
      offsets: tensors.offsets,
      byte_lengths: tensors.lengths,
      end,
    },
    Mode::Mixed => ListScan::Mixed { count, end },
  })
}

#[cfg(test)]
mod tests {
  use super::*;
  use crate::numbers::{encode_array_header, encode_numbers};

  fn list(items: &[u8], n: u32) -> Vec<u8> {
    let mut v = Vec::new();
    encode_array_header(&mut v, n);
    v.extend_from_slice(items);
    v
  }

  #[test]
  fn numbers_round_trip() {
    let vals = [0.0, -1.0, 1.5, 300.0, -70000.0, 1e300, 4294967296.0, -5e15];
    let bytes = list(&encode_numbers(&vals, 0).unwrap(), vals.len() as u32);
    match scan_list(&bytes, 0).unwrap() {
      ListScan::Numbers {
        count,
        width,
        values,
        end,
      } => {
        assert_eq!((count, width, end), (8, 0, bytes.len()));
        assert_eq!(values, vals);
      }
      other => panic!("{other:?}"),
    }
    let bytes = list(&encode_numbers(&vals, 2).unwrap(), 4);
    match scan_list(&bytes, 0).unwrap() {
      ListScan::Numbers {
        count,
        width,
        values,
        ..
      } => {
        assert_eq!((count, width), (4, 2));
        assert_eq!(values, vals);
      }
      other => panic!("{other:?}"),
    }
  }

  #[test]
  fn empty_list_is_numbers() {
    assert_eq!(
      scan_list(&[0x90], 0).unwrap(),
      ListScan::Numbers {
        count: 0,
        width: 0,
        values: vec![],
        end: 1
      }
    );
  }

  #[test]
  fn tensors() {
    // [ext8 len 2+6+8, type 1, dtype 9 (f64), pad 6, 6 zero bytes, 8 data bytes], at offset 3.
    let mut bytes = vec![0xaa, 0xbb, 0xcc, 0x92];
    for _ in 0..2 {
      bytes.extend_from_slice(&[0xc7, 16, 1, 9, 6, 0, 0, 0, 0, 0, 0]);
      bytes.extend_from_slice(&1.5f64.to_le_bytes());
    }
    match scan_list(&bytes, 3).unwrap() {
      ListScan::Tensors {
        count,
        dtypes,
        offsets,
        byte_lengths,
        end,
      } => {
        assert_eq!(count, 2);
        assert_eq!(dtypes, vec![9, 9]);
        assert_eq!(offsets, vec![15.0, 34.0]);
        assert_eq!(byte_lengths, vec![8.0, 8.0]);
        assert_eq!(end, bytes.len());
      }
      other => panic!("{other:?}"),
    }
    // fixext 2: a zero-length Uint8Array.
    assert!(matches!(
      scan_list(&[0x91, 0xd5, 1, 2, 0], 0).unwrap(),
      ListScan::Tensors { .. }
    ));
    // Unknown dtype, pad beyond payload, ragged data.
    assert_eq!(
      scan_list(&[0x91, 0xd5, 1, 12, 0], 0).unwrap_err().code,
      Code::BadMsgpack
    );
    assert_eq!(
      scan_list(&[0x91, 0xd5, 1, 2, 1], 0).unwrap_err().code,
      Code::BadMsgpack
    );
    assert_eq!(
      scan_list(&[0x91, 0xd6, 1, 6, 0, 1, 2], 0).unwrap_err().code,
      Code::BadMsgpack
    );
  }

  #[test]
  fn mixed() {
    // [1, "a", {"k": [nil, true]}, [1, "x"]]
    let bytes = [
      0x94, 0x01, 0xa1, b'a', 0x81, 0xa1, b'k', 0x92, 0xc0, 0xc3, 0x92, 0x01, 0xa1, b'x',
    ];
    assert_eq!(
      scan_list(&bytes, 0).unwrap(),
      ListScan::Mixed {
        count: 4,
        end: bytes.len()
      }
    );
    // Arrays whose second item breaks the width pattern, ext of another type.
    let bytes = [0x92, 0x92, 0x01, 0x02, 0x92, 0x01, 0xa0];
    assert_eq!(
      scan_list(&bytes, 0).unwrap(),
      ListScan::Mixed {
        count: 2,
        end: bytes.len()
      }
    );
    let bytes = [0x91, 0xd4, 0x02, 0x00];
    assert_eq!(
      scan_list(&bytes, 0).unwrap(),
      ListScan::Mixed { count: 1, end: 4 }
    );
    let bytes = [0x91, 0x90];
    assert_eq!(
      scan_list(&bytes, 0).unwrap(),
      ListScan::Mixed { count: 1, end: 2 }
    );
  }

  #[test]
  fn malformed() {
    for bytes in [
      &[][..],
      &[0x01],
      &[0x92, 0x01],
      &[0xdd, 0xff, 0xff, 0xff, 0xff, 0x00],
      &[0x91, 0xc1],
      &[0x91, 0xdb, 0xff, 0xff, 0xff, 0xff],
      &[0x92, 0xa1, 0x02, 0xdf, 0xff, 0xff, 0xff, 0xff],
      &[0x91, 0xcb, 0x00],
    ] {
      assert_eq!(
        scan_list(bytes, 0).unwrap_err().code,
        Code::BadMsgpack,
        "{bytes:?}"
      );
    }
    assert_eq!(scan_list(&[0x90], 2).unwrap_err().code, Code::BadMsgpack);
  }
}
