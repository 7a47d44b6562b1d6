import { encode } from '@msgpack/msgpack';
import type { Engine, ListScan } from '../../src/backend/types.js';
import { encodeList } from '../../src/codec/list.js';
import { extensionCodec } from '../../src/codec/values.js';
import {
  EDGE_NUMBERS,
  codeOf,
  concat,
  eachEngine,
  mixedValues,
  parity,
  rng,
  randomNumbers,
  typedArraysOfEveryDtype,
} from './vectors.js';

const u8 = (...b: number[]) => new Uint8Array(b);

eachEngine('scans a numbers list into a packed Float64Array', (t, engine) => {
  const bytes = encode(EDGE_NUMBERS);
  const s = engine.scanList(bytes, 0);
  t.is(s.kind, 'numbers');
  if (s.kind !== 'numbers') return;
  t.is(s.count, EDGE_NUMBERS.length);
  t.is(s.width, 0);
  t.is(s.end, bytes.length);
  t.deepEqual(
    Array.from(s.values),
    EDGE_NUMBERS.map((x) => (Object.is(x, -0) ? 0 : x)),
  );
  t.true(s.values instanceof Float64Array);
});

eachEngine('scans rows of equal width as numbers with that width', (t, engine) => {
  const rows = [
    [1, 2.5, -3],
    [4, 5, 6],
  ];
  const bytes = concat([u8(0xaa, 0xbb), encode(rows)]);
  const s = engine.scanList(bytes, 2);
  t.deepEqual(s, {
    kind: 'numbers',
    count: 2,
    width: 3,
    values: new Float64Array([1, 2.5, -3, 4, 5, 6]),
    end: bytes.length,
  });
});

eachEngine('reports the empty list as numbers of width 0', (t, engine) => {
  t.deepEqual(engine.scanList(u8(0x90), 0), {
    kind: 'numbers',
    count: 0,
    width: 0,
    values: new Float64Array(0),
    end: 1,
  });
  t.deepEqual(engine.scanList(u8(0xdc, 0, 0, 0xc0), 0), {
    kind: 'numbers',
    count: 0,
    width: 0,
    values: new Float64Array(0),
    end: 3,
  });
});

eachEngine('scans typed arrays as dtype, offset and byte-length tables', (t, engine) => {
  const items = typedArraysOfEveryDtype();
  const bytes = concat(encodeList(items, 0));
  const s = engine.scanList(bytes, 0);
  t.is(s.kind, 'tensors');
  if (s.kind !== 'tensors') return;
  t.deepEqual(Array.from(s.dtypes), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  t.deepEqual(
    Array.from(s.byteLengths),
    items.map((a) => a.byteLength),
  );
  items.forEach((a, i) => {
    const raw = bytes.subarray(s.offsets[i]!, s.offsets[i]! + s.byteLengths[i]!);
    t.deepEqual(raw, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  });
  t.is(s.end, bytes.length);
});

eachEngine('scans anything else as mixed with its end', (t, engine) => {
  const lists: unknown[][] = [
    mixedValues(),
    [1, 'a'],
    [[1, 2], [3]],
    [
      [1, 2],
      [3, 'x'],
    ],
    [new Uint8Array(1), 5],
    [[], []],
    [5n],
    [new Date(0)],
  ];
  for (const items of lists) {
    const bytes = concat([encode(items, { extensionCodec }), u8(0xc0)]);
    t.deepEqual(engine.scanList(bytes, 0), { kind: 'mixed', count: items.length, end: bytes.length - 1 });
  }
});

eachEngine('rejects malformed or truncated lists with EBADMSGPACK', async (t, engine) => {
  const cases: [string, Uint8Array, number][] = [
    ['empty input', u8(), 0],
    ['not an array', u8(0x01), 0],
    ['offset past the end', u8(0x90), 2],
    ['too few items', u8(0x92, 0x01), 0],
    ['huge count', u8(0xdd, 0xff, 0xff, 0xff, 0xff, 0x00), 0],
    ['0xc1', u8(0x91, 0xc1), 0],
    ['truncated float', u8(0x91, 0xcb, 0x00), 0],
    ['truncated str32', u8(0x91, 0xdb, 0xff, 0xff, 0xff, 0xff), 0],
    ['huge map', u8(0x92, 0xa1, 0x02, 0xdf, 0xff, 0xff, 0xff, 0xff), 0],
    ['unknown dtype', u8(0x91, 0xd5, 0x01, 12, 0), 0],
    ['pad beyond payload', u8(0x91, 0xd5, 0x01, 2, 1), 0],
    ['ragged tensor data', u8(0x91, 0xd6, 0x01, 6, 0, 1, 2), 0],
    ['truncated row', u8(0x91, 0x92, 0x01), 0],
  ];
  for (const [label, bytes, offset] of cases) {
    t.is(await codeOf(() => engine.scanList(bytes, offset)), 'EBADMSGPACK', label);
  }
});

/** Results compared as plain data (typed arrays as arrays). */
function plainScan(s: ListScan) {
  return JSON.parse(
    JSON.stringify(s, (_k, v) =>
      ArrayBuffer.isView(v) ? Array.from(v as Float64Array, (x) => (Number.isNaN(x) ? 'NaN' : x)) : v,
    ),
  );
}

parity('scans lists alike with both backends', (t, nat: Engine, ts: Engine) => {
  const next = rng(5);
  const lists: unknown[][] = [
    [],
    Array.from(randomNumbers(next, 3000)),
    Array.from({ length: 50 }, () => Array.from(randomNumbers(next, 4))),
    typedArraysOfEveryDtype(),
    mixedValues(),
    [
      [1, 2],
      [3, 'x'],
    ],
    [new Float32Array(2), 'x'],
  ];
  for (const items of lists) {
    for (const start of [0, 5]) {
      const body = concat(encodeList(items, start));
      const bytes = new Uint8Array(start + body.length);
      bytes.set(body, start);
      const a = nat.scanList(bytes, start);
      const b = ts.scanList(bytes, start);
      t.deepEqual(plainScan(a), plainScan(b));
      t.is(
        Object.getPrototypeOf(a.kind === 'numbers' ? a.values : a),
        Object.getPrototypeOf(b.kind === 'numbers' ? b.values : b),
      );
    }
  }
});
