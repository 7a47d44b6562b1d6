//! `scanList`: classify and read a msgpack list (docs/engine.md, "Lists") without decoding generic
//! values. Every read is bounds-checked; malformed bytes give `EBADMSGPACK`, never a panic.

use rmp::decode::{self, MarkerReadError, NumValueReadError, RmpReadErr, ValueReadError};
use rmp::Marker;

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

/// A position in the scanned bytes. Every read goes through `rmp::decode` on the remaining slice
/// (`&[u8]` is an `RmpRead` that fails, never panics, when it runs out of bytes); the cursor only
/// commits the new position once a read succeeded, so a `try_*` that finds another type consumes
/// nothing.
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

  /// The bytes from the current position on (empty past the end).
  fn rest(&self) -> &'a [u8] {
    self.b.get(self.pos..).unwrap_or(&[])
  }

  /// Runs an `rmp::decode` reader at the current position and advances past what it read. A short
  /// read is `EBADMSGPACK` ("unexpected end"); a value of another type gives `Ok(None)` and consumes
  /// nothing.
  fn read<T, E>(
    &mut self,
    f: impl FnOnce(&mut &'a [u8]) -> std::result::Result<T, E>,
  ) -> Result<Option<T>>
  where
    E: Into<Misread>,
  {
    let mut rd = self.rest();
    match f(&mut rd).map_err(Into::into) {
      Ok(v) => {
        self.pos = self.b.len() - rd.len();
        Ok(Some(v))
      }
      Err(Misread::OtherType) => Ok(None),
      Err(Misread::Short) => Err(self.err("unexpected end")),
    }
  }

  /// The marker of the next value, without consuming it.
  fn peek(&self) -> Result<Marker> {
    let mut rd = self.rest();
    decode::read_marker(&mut rd).map_err(|_| self.err("unexpected end"))
  }

  /// Skips `n` bytes (a payload).
  fn take(&mut self, n: usize) -> Result<()> {
    if n > self.remaining() {
      return Err(self.err("unexpected end"));
    }
    self.pos += n;
    Ok(())
  }

  /// Reads a number if the next value is one; otherwise consumes nothing.
  fn try_number(&mut self) -> Result<Option<f64>> {
    match self.peek()? {
      Marker::FixPos(_) => self.read(|rd| decode::read_pfix(rd).map(f64::from)),
      Marker::FixNeg(_) => self.read(|rd| decode::read_nfix(rd).map(f64::from)),
      Marker::F32 => self.read(|rd| decode::read_f32(rd).map(f64::from)),
      Marker::F64 => self.read(decode::read_f64),
      Marker::U8 => self.read(|rd| decode::read_u8(rd).map(f64::from)),
      Marker::U16 => self.read(|rd| decode::read_u16(rd).map(f64::from)),
      Marker::U32 => self.read(|rd| decode::read_u32(rd).map(f64::from)),
      Marker::U64 => self.read(|rd| decode::read_u64(rd).map(|v| v as f64)),
      Marker::I8 => self.read(|rd| decode::read_i8(rd).map(f64::from)),
      Marker::I16 => self.read(|rd| decode::read_i16(rd).map(f64::from)),
      Marker::I32 => self.read(|rd| decode::read_i32(rd).map(f64::from)),
      Marker::I64 => self.read(|rd| decode::read_i64(rd).map(|v| v as f64)),
      _ => Ok(None),
    }
  }

  /// Reads an array header if the next value is an array; otherwise consumes nothing.
  fn try_array_len(&mut self) -> Result<Option<u32>> {
    self.read(decode::read_array_len)
  }

  /// Reads a whole ext value (header and payload) if the next value is one: `(type, payload start,
  /// payload length)`; otherwise consumes nothing.
  fn try_ext(&mut self) -> Result<Option<(i8, usize, usize)>> {
    let Some(meta) = self.read(decode::read_ext_meta)? else {
      return Ok(None);
    };
    let start = self.pos;
    let len = meta.size as usize;
    self.take(len)?;
    Ok(Some((meta.typeid, start, len)))
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

  /// Reads the header of the next value, whatever its type: `(nested values that follow, payload
  /// bytes that follow)`.
  fn header(&mut self) -> Result<(u64, usize)> {
    let m = self.peek()?;
    let got = match m {
      Marker::Reserved => return Err(self.err("invalid marker 0xc1")),
      Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => self
        .read(decode::read_array_len)?
        .map(|n| (u64::from(n), 0)),
      Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => self
        .read(decode::read_map_len)?
        .map(|n| (2 * u64::from(n), 0)),
      Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => {
        self.read(decode::read_str_len)?.map(|n| (0, n as usize))
      }
      Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => {
        self.read(decode::read_bin_len)?.map(|n| (0, n as usize))
      }
      Marker::FixExt1
      | Marker::FixExt2
      | Marker::FixExt4
      | Marker::FixExt8
      | Marker::FixExt16
      | Marker::Ext8
      | Marker::Ext16
      | Marker::Ext32 => self
        .read(decode::read_ext_meta)?
        .map(|meta| (0, meta.size as usize)),
      Marker::Null => self.read(decode::read_nil)?.map(|()| (0, 0)),
      Marker::True | Marker::False => self.read(decode::read_bool)?.map(|_| (0, 0)),
      _ => self.try_number()?.map(|_| (0, 0)),
    };
    // Every marker is one of the above, so the matching reader never reports another type.
    got.ok_or_else(|| self.err(&format!("unexpected marker {m:?}")))
  }

  /// Skips `n` complete values of any type, iteratively (no recursion on nesting).
  fn skip_values(&mut self, n: u64) -> Result<()> {
    let mut pending = n;
    while pending > 0 {
      if pending > self.remaining() as u64 {
        return Err(self.err("more values declared than bytes left"));
      }
      pending -= 1;
      let (add, skip) = self.header()?;
      self.take(skip)?;
      pending += add;
    }
    Ok(())
  }
}

/// Why an `rmp::decode` read failed: the bytes ran out, or the next value has another type.
enum Misread {
  Short,
  OtherType,
}

impl<E: RmpReadErr> From<ValueReadError<E>> for Misread {
  fn from(e: ValueReadError<E>) -> Self {
    match e {
      ValueReadError::TypeMismatch(_) => Misread::OtherType,
      ValueReadError::InvalidMarkerRead(_) | ValueReadError::InvalidDataRead(_) => Misread::Short,
    }
  }
}

impl<E: RmpReadErr> From<MarkerReadError<E>> for Misread {
  fn from(_: MarkerReadError<E>) -> Self {
    Misread::Short
  }
}

impl<E: RmpReadErr> From<NumValueReadError<E>> for Misread {
  fn from(e: NumValueReadError<E>) -> Self {
    match e {
      NumValueReadError::TypeMismatch(_) | NumValueReadError::OutOfRange => Misread::OtherType,
      NumValueReadError::InvalidMarkerRead(_) | NumValueReadError::InvalidDataRead(_) => {
        Misread::Short
      }
    }
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
  fn aligned_tensors_written_with_rmp() {
    // The documented ext header (smallest form for the payload length: fixext when it is exactly
    // 1/2/4/8/16, else ext8/16/32), as the TypeScript codec writes it, scans back as tensors with
    // the data at the 8-aligned offsets the padding chose.
    let mut bytes = Vec::new();
    encode_array_header(&mut bytes, 3);
    for (dtype, data_len) in [(9u8, 8usize), (2, 300), (6, 70_000)] {
      // The pad that puts the data at a multiple of 8 (the ext header size depends on the length).
      let (pad, len) = (0..8usize)
        .map(|pad| (pad, u32::try_from(2 + pad + data_len).unwrap()))
        .find(|&(pad, len)| {
          let mut head = Vec::new();
          rmp::encode::write_ext_meta(&mut head, len, 1).unwrap();
          (bytes.len() + head.len() + 2 + pad) % 8 == 0
        })
        .unwrap();
      rmp::encode::write_ext_meta(&mut bytes, len, 1).unwrap();
      bytes.extend_from_slice(&[dtype, pad as u8]);
      bytes.resize(bytes.len() + pad, 0);
      assert_eq!(bytes.len() % 8, 0);
      bytes.resize(bytes.len() + data_len, 7);
    }
    match scan_list(&bytes, 0).unwrap() {
      ListScan::Tensors {
        count,
        dtypes,
        offsets,
        byte_lengths,
        end,
      } => {
        assert_eq!((count, end), (3, bytes.len()));
        assert_eq!(dtypes, vec![9, 2, 6]);
        assert_eq!(byte_lengths, vec![8.0, 300.0, 70_000.0]);
        assert!(offsets.iter().all(|&o| o % 8.0 == 0.0), "{offsets:?}");
      }
      other => panic!("{other:?}"),
    }
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
