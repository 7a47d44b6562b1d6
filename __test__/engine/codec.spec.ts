import { encode } from '@msgpack/msgpack';
import test from 'ava';
import { engine } from '../../src/backend/select.js';
import { decodeBufferFile, encodeBufferFile } from '../../src/codec/buffer-format.js';
import { classifyList, decodeList, encodeList } from '../../src/codec/list.js';
import { SerializationError, decodeValue, encodeValue, extensionCodec } from '../../src/codec/values.js';
import { concat, mixedValues, typedArraysOfEveryDtype } from './vectors.js';

/** Encodes `items` at `start` inside a buffer (so absolute offsets are real) and decodes them back. */
function roundTrip(items: unknown[], start = 0) {
  const segments = encodeList(items, start);
  const body = concat(segments);
  const file = new Uint8Array(start + body.length);
  file.set(body, start);
  const { items: back, end } = decodeList(file, start);
  return { back, end, file, body, segments };
}

test('round-trips numbers, including -0 as 0, NaN, ±Infinity, 2^53 and big negative ints', (t) => {
  const items = [0, -0, 1, -1, 0.5, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 53), -12345678901234, 2 ** 64, 1e-300];
  t.is(classifyList(items).kind, 'numbers');
  const { back, end, file } = roundTrip(items);
  t.is(end, file.length);
  t.deepEqual(back, [
    0,
    0,
    1,
    -1,
    0.5,
    NaN,
    Infinity,
    -Infinity,
    2 ** 53,
    -(2 ** 53),
    -12345678901234,
    2 ** 64,
    1e-300,
  ]);
  t.true(Object.is(back[1], 0), '-0 comes back as +0');
});

test('round-trips arrays of equal width through the numbers path', (t) => {
  const items = Array.from({ length: 100 }, (_, i) => [i, -(i + 1) / 3, i * 1e10]);
  t.deepEqual(classifyList(items), { kind: 'numbers', width: 3 });
  t.deepEqual(roundTrip(items).back, items);
  t.is(classifyList([[1, 2], [3]]).kind, 'mixed', 'ragged rows are mixed');
  t.is(classifyList([[], []]).kind, 'mixed', 'empty rows are mixed');
  t.is(classifyList([[1, 'a']]).kind, 'mixed');
});

test('writes the same bytes as @msgpack/msgpack for numbers and mixed lists', (t) => {
  const lists: unknown[][] = [
    [1, 2, 3],
    Array.from({ length: 70000 }, (_, i) => i - 35000), // array32 header... 16 bits: array16 at < 65536
    [
      [1, 2],
      [3, 4],
    ],
    mixedValues(),
    [1, 'two', null],
  ];
  for (const items of lists) {
    t.is(Buffer.compare(concat(encodeList(items, 0)), encode(items, { extensionCodec })), 0);
  }
});

test('round-trips typed arrays of every dtype with aligned, zero-copy payloads', (t) => {
  const items = typedArraysOfEveryDtype();
  t.is(classifyList(items).kind, 'tensors');
  for (let start = 0; start < 16; start++) {
    const { back, file } = roundTrip(items, start);
    t.deepEqual(back, items, `start ${start}`);
    const scan = engine().scanList(file, start);
    t.is(scan.kind, 'tensors');
    if (scan.kind !== 'tensors') continue;
    t.deepEqual(Array.from(scan.dtypes), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    for (const off of scan.offsets) t.is(off % 8, 0, `payload at ${off} aligned (start ${start})`);
    for (const arr of back as ArrayBufferView[]) t.is(arr.buffer, file.buffer, 'a view, not a copy');
  }
});

test('references big typed arrays zero-copy when encoding', (t) => {
  const big = new Float32Array(1 << 18);
  big[12345] = 42;
  const segments = encodeList([big, new Float32Array(3)], 0);
  t.true(
    segments.some((s) => s.buffer === big.buffer),
    'the big array is a segment of its own',
  );
  const { back } = roundTrip([big]);
  t.is((back[0] as Float32Array)[12345], 42);
});

test('decodes unaligned typed arrays as correct copies', (t) => {
  const items = [new Float64Array([1.5, -2.5]), new BigInt64Array([-3n]), new Uint16Array([7])];
  const body = concat(encodeList(items, 0));
  const shifted = new Uint8Array(body.length + 1);
  shifted.set(body, 1); // every payload now misaligned by one
  const { items: back } = decodeList(shifted.subarray(1), 0);
  t.deepEqual(back, items);
  t.not((back[0] as Float64Array).buffer, shifted.buffer);
});

test('round-trips mixed values: objects, nested typed arrays, Date, strings, BigInt', (t) => {
  const items = mixedValues();
  t.is(classifyList(items).kind, 'mixed');
  const { back } = roundTrip(items, 3);
  t.deepEqual(back, items);
  t.true(back[14] instanceof Date);
});

test('round-trips the empty list and lists of strings', (t) => {
  t.deepEqual(roundTrip([]).back, []);
  t.deepEqual(concat(encodeList([], 0)), new Uint8Array([0x90]));
  t.deepEqual(roundTrip(['a', 'b', '']).back, ['a', 'b', '']);
  const many = Array.from({ length: 20000 }, (_, i) => ({ i, s: `item ${i}` }));
  t.deepEqual(roundTrip(many).back, many);
});

test('round-trips a single generic value and rejects malformed bytes with EBADMSGPACK', (t) => {
  for (const v of mixedValues()) t.deepEqual(decodeValue(encodeValue(v)), v);
  for (const bad of [new Uint8Array([0xc1]), new Uint8Array([0x92, 0x01]), new Uint8Array([0x01, 0x02])]) {
    t.is(t.throws(() => decodeValue(bad))!.name, 'EngineError');
  }
  const badExt = new Uint8Array([0xd5, 0x01, 0x0c, 0x00]); // ext 1 with unknown dtype 12
  t.is((t.throws(() => decodeValue(badExt)) as { code?: string }).code, 'EBADMSGPACK');
});

test('names where an unwritable value sits: functions, symbols, cycles, too deep', (t) => {
  const cases: [unknown[], string, RegExp][] = [
    [[1, 2, 3, { obs: { fn: () => 1 } }], '[3].obs.fn', /function/],
    [['a', Symbol('s')], '[1]', /symbol/],
    [[{ a: new Map() }], '[0].a', /Map/],
    [
      [
        0,
        0,
        (() => {
          const o: Record<string, unknown> = {};
          o.self = o;
          return o;
        })(),
      ],
      '[2].self',
      /cycle/,
    ],
    [
      [
        (() => {
          let v: unknown = 1;
          for (let i = 0; i < 150; i++) v = [v];
          return v;
        })(),
      ],
      `[0]${'[0]'.repeat(100)}`,
      /deeper than 100/,
    ],
    [[{ 'odd key': () => 0 }], '[0]["odd key"]', /function/],
  ];
  for (const [items, at, what] of cases) {
    const err = t.throws(() => encodeList(items, 0), { instanceOf: SerializationError });
    t.is((err as SerializationError).at, at);
    t.is((err as SerializationError).index, Number(/^\[(\d+)\]/.exec(at)![1]));
    t.regex(err!.message, what);
    t.true(err!.message.includes(at), err!.message);
  }
  const err = t.throws(() => encodeValue({ x: [() => 0] }), { instanceOf: SerializationError });
  t.is((err as SerializationError).at, '.x[0]');
});

test('round-trips a buffer file with aligned tensor columns', (t) => {
  const meta = {
    kind: 'DictSequentialBuffer',
    config: { maxSize: 100, keys: ['obs', 'reward', 'info'] },
    columns: ['obs', 'reward', 'info'],
  };
  const columns = [
    Array.from({ length: 5 }, (_, i) => new Float32Array([i, i + 0.5, -i])),
    [1, 0.5, -2, NaN, 3],
    ['a', { b: 1 }, null, [new Uint8Array([1])], 5n],
  ];
  const bytes = concat(encodeBufferFile(meta, columns));
  const back = decodeBufferFile(bytes);
  t.deepEqual(back.meta, meta);
  t.deepEqual(back.columns, columns);
  // The obs column is one contiguous payload starting at a multiple of 8 in the file; the items are
  // zero-copy views of it.
  const obs = back.columns[0] as Float32Array[];
  t.is(obs[0]!.buffer, bytes.buffer);
  t.is(obs[0]!.byteOffset % 8, 0);
  obs.forEach((a, i) => {
    t.is(a.byteOffset, obs[0]!.byteOffset + i * 12);
  });
});

test('round-trips an empty single-column buffer file and rejects damaged ones', (t) => {
  const meta = { kind: 'SequentialBuffer', config: { maxSize: 10 }, columns: ['items'] };
  const bytes = concat(encodeBufferFile(meta, [[]]));
  t.deepEqual(decodeBufferFile(bytes), { meta, columns: [[]] });
  const withTrailing = concat([bytes, new Uint8Array([0xc0])]);
  t.is((t.throws(() => decodeBufferFile(withTrailing)) as { code?: string }).code, 'EBADMSGPACK');
  t.is(
    (t.throws(() => decodeBufferFile(bytes.subarray(0, bytes.length - 1))) as { code?: string }).code,
    'EBADMSGPACK',
  );
  const other = concat([encode({ format: 'nope', version: 1 }), new Uint8Array([0x90])]);
  t.is((t.throws(() => decodeBufferFile(other)) as { code?: string }).code, 'EBADMSGPACK');
  const newer = concat([encode({ format: 'pamiq-buffer', version: 3, kind: 'X', config: {}, columns: [] })]);
  t.is((t.throws(() => decodeBufferFile(newer)) as { code?: string }).code, 'ENEWERFORMAT');
  t.throws(() => encodeBufferFile(meta, [[1], [2]]), { instanceOf: RangeError });
});
