import { encode } from '@msgpack/msgpack';
import test from 'ava';
import type { Engine } from '../../src/backend/types.js';
import { EDGE_NUMBERS, codeOf, concat, conformanceOutcome, eachEngine, parity, randomNumbers, rng } from './vectors.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** @msgpack/msgpack's bytes of the items (no array header). */
function reference(values: Float64Array, width: number): Uint8Array {
  if (width === 0) return concat(Array.from(values, (v) => encode(v)));
  const rows = [];
  for (let i = 0; i < values.length; i += width) rows.push(encode(Array.from(values.subarray(i, i + width))));
  return concat(rows);
}

eachEngine('encodes numbers byte-identically to @msgpack/msgpack', (t, engine) => {
  const edge = new Float64Array(EDGE_NUMBERS);
  t.is(hex(engine.encodeNumbers(edge, 0)), hex(reference(edge, 0)));
  const next = rng(1);
  for (let round = 0; round < 20; round++) {
    const values = randomNumbers(next, 1 + Math.floor(next() * 2000));
    t.is(hex(engine.encodeNumbers(values, 0)), hex(reference(values, 0)), `round ${round}`);
  }
});

eachEngine('encodes rows of equal width byte-identically to @msgpack/msgpack', (t, engine) => {
  const next = rng(2);
  for (const width of [1, 2, 3, 15, 16, 17, 300]) {
    const values = randomNumbers(next, width * 40);
    t.is(hex(engine.encodeNumbers(values, width)), hex(reference(values, width)), `width ${width}`);
  }
  t.is(engine.encodeNumbers(new Float64Array(0), 3).length, 0);
});

eachEngine('writes -0 as 0 and every NaN as 0x7ff8000000000000', (t, engine) => {
  const zero = conformanceOutcome<{ hex: string }>('encode-numbers', 'scalar -0').expect.hex;
  const nan = conformanceOutcome<{ hex: string }>('encode-numbers', 'scalar NaN').expect.hex;
  t.is(hex(engine.encodeNumbers(new Float64Array([-0]), 0)), zero);
  const nans = new Float64Array(3);
  const words = new Uint32Array(nans.buffer);
  words[1] = 0x7ff80000; // canonical
  words[2] = 1; // payload NaN
  words[3] = 0x7ff80000;
  words[5] = 0xfff80000; // negative NaN (x86's default NaN)
  t.true(nans.every((x) => Number.isNaN(x)));
  t.is(hex(engine.encodeNumbers(nans, 0)), nan.repeat(3));
});

eachEngine('rejects a width that does not divide the values with EINVAL', async (t, engine) => {
  t.is(await codeOf(() => engine.encodeNumbers(new Float64Array(5), 2)), 'EINVAL');
});

eachEngine('hashes with XXH3-64 as 16 lowercase hex digits', (t, engine) => {
  t.is(engine.xxh3(new Uint8Array(0)), conformanceOutcome<{ xxh3: string }>('xxh3', 'empty').expect.xxh3);
  t.is(engine.xxh3(Buffer.from('abc')), conformanceOutcome<{ xxh3: string }>('xxh3', 'abc').expect.xxh3);
  const big = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 255);
  t.regex(engine.xxh3(big), /^[0-9a-f]{16}$/);
  t.is(engine.xxh3(big.subarray(1)), engine.xxh3(big.slice(1)), 'views hash their own bytes only');
});

parity('encodeNumbers and xxh3 give identical bytes with both backends', (t, nat: Engine, ts: Engine) => {
  const next = rng(3);
  for (let round = 0; round < 30; round++) {
    const values = randomNumbers(next, Math.floor(next() * 5000));
    const width = [0, 1, 2, 3, 7][round % 5]!;
    const v = values.subarray(0, values.length - (width ? values.length % width : 0));
    t.is(hex(nat.encodeNumbers(v, width)), hex(ts.encodeNumbers(v, width)));
    const bytes = nat.encodeNumbers(v, width);
    t.is(nat.xxh3(bytes), ts.xxh3(bytes));
  }
  const large = randomNumbers(next, 2_000_000); // big enough for the native side to go parallel
  t.is(Buffer.compare(nat.encodeNumbers(large, 0), ts.encodeNumbers(large, 0)), 0);
});

test('the reference encoder agrees with the documented number forms', (t) => {
  t.is(hex(encode(2 ** 53)), 'cb4340000000000000', '2^53 is no safe integer: float64');
  t.is(hex(encode(-(2 ** 53) + 1)), 'd3ffe0000000000001');
  t.is(hex(encode(NaN)), 'cb7ff8000000000000');
});
