import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  BufferStateMismatchError,
  DataBuffer,
  DictRandomReplacementBuffer,
  DictSequentialBuffer,
  RandomReplacementBuffer,
  SequentialBuffer,
} from '../../src/data/index.js';
import { captureLogs } from '../../src/log.js';
import { tmpDir } from '../helpers/tmp.js';

class ListBuffer extends DataBuffer<number, number[]> {
  items: number[] = [];
  add(x: number) {
    this.items.push(x);
  }
  getData() {
    return this.items.slice();
  }
  get length() {
    return this.items.length;
  }
}

/** A random source that returns the given values in turn. */
const seq = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

test('a negative maxQueueSize throws a RangeError', (t) => {
  t.throws(() => new ListBuffer(-1), { instanceOf: RangeError, message: /non-negative/ });
});

test.serial('an undefined maxQueueSize logs a warning about the unbounded queue', (t) => {
  const logs = captureLogs();
  const buffer = new ListBuffer();
  logs.stop();
  t.is(buffer.maxQueueSize, undefined);
  t.regex(logs.text(), /WARN.*maxQueueSize is undefined/);
});

test('the base buffer saves and loads nothing', async (t) => {
  const dir = tmpDir(t);
  const buffer = new ListBuffer(3);
  await buffer.saveState(join(dir, 'buffer'));
  await buffer.loadState(join(dir, 'buffer'));
  t.false(existsSync(join(dir, 'buffer.msgpack')));
});

// ---- SequentialBuffer

test('a sequential buffer keeps items in the order added', (t) => {
  const b = new SequentialBuffer<number>(5);
  [1, 2, 3].forEach((x) => {
    b.add(x);
  });
  t.deepEqual(b.getData(), [1, 2, 3]);
  t.is(b.length, 3);
  t.is(b.maxQueueSize, 5);
});

test('a full sequential buffer keeps the newest items', (t) => {
  const b = new SequentialBuffer<number>(3);
  [1, 2, 3, 4, 5].forEach((x) => {
    b.add(x);
  });
  t.deepEqual(b.getData(), [3, 4, 5]);
  t.is(b.length, 3);
});

test('getData returns a new array each time', (t) => {
  const b = new SequentialBuffer<number>(3);
  b.add(1);
  const data = b.getData();
  data.push(99);
  t.deepEqual(b.getData(), [1]);
});

test('a maxSize that is not a positive integer throws a RangeError', (t) => {
  t.throws(() => new SequentialBuffer(0), { instanceOf: RangeError });
  t.throws(() => new SequentialBuffer(1.5), { instanceOf: RangeError });
});

test('a sequential buffer round-trips through buffer.msgpack', async (t) => {
  const dir = tmpDir(t);
  const b = new SequentialBuffer<unknown>(4);
  [1, 'two', { three: 3 }, new Float32Array([4, 5]), 6].forEach((x) => {
    b.add(x);
  });
  await b.saveState(join(dir, 'buffer'));
  t.true(existsSync(join(dir, 'buffer.msgpack')));
  const loaded = new SequentialBuffer<unknown>(4);
  await loaded.loadState(join(dir, 'buffer'));
  t.deepEqual(loaded.getData(), b.getData());
  loaded.add(7);
  t.deepEqual(loaded.getData(), ['two', { three: 3 }, new Float32Array([4, 5]), 6, 7].slice(1));
});

test('a smaller sequential buffer keeps the newest saved items', async (t) => {
  const dir = tmpDir(t);
  const b = new SequentialBuffer<number>(5);
  [1, 2, 3, 4, 5].forEach((x) => {
    b.add(x);
  });
  await b.saveState(join(dir, 'buffer'));
  const small = new SequentialBuffer<number>(2);
  await small.loadState(join(dir, 'buffer'));
  t.deepEqual(small.getData(), [4, 5]);
});

test('items added after a save do not change what was saved', async (t) => {
  const dir = tmpDir(t);
  const b = new SequentialBuffer<number>(3);
  [1, 2, 3].forEach((x) => {
    b.add(x);
  });
  await b.saveState(join(dir, 'buffer'));
  b.add(4);
  const loaded = new SequentialBuffer<number>(3);
  await loaded.loadState(join(dir, 'buffer'));
  t.deepEqual(loaded.getData(), [1, 2, 3]);
});

// ---- RandomReplacementBuffer

test('a random replacement buffer replaces with probability 1 by default', (t) => {
  const b = new RandomReplacementBuffer(10);
  t.is(b.replaceProbability, 1);
  t.is(b.maxQueueSize, 10);
  t.is(b.maxSize, 10);
});

test('a replacement probability outside [0, 1] throws a RangeError', (t) => {
  t.throws(() => new RandomReplacementBuffer(10, { replaceProbability: -0.1 }), { instanceOf: RangeError });
  t.throws(() => new RandomReplacementBuffer(10, { replaceProbability: 1.1 }), { instanceOf: RangeError });
});

test('giving both a probability and a survival length throws a TypeError', (t) => {
  t.throws(() => new RandomReplacementBuffer(10, { replaceProbability: 0.5, expectedSurvivalLength: 10 }), {
    instanceOf: TypeError,
    message: /Cannot specify both/,
  });
});

test('a probability derived from the survival length lies in [0, 1]', (t) => {
  for (const [maxSize, length] of [
    [1, 1],
    [10, 5],
    [100, 1000],
    [1000, 100],
    [1000, 1e9],
  ] as const) {
    const p = new RandomReplacementBuffer(maxSize, { expectedSurvivalLength: length }).replaceProbability;
    t.true(p >= 0 && p <= 1, `maxSize ${maxSize}, length ${length}: p = ${p}`);
  }
  const expected = (100 / 1000) * (Math.log(100) + 0.5772156649015329);
  t.true(
    Math.abs(new RandomReplacementBuffer(100, { expectedSurvivalLength: 1000 }).replaceProbability - expected) < 1e-12,
  );
});

test('the static computeReplaceProbabilityFromExpectedSurvivalLength gives PAMIQ-Core’s values', (t) => {
  const f = RandomReplacementBuffer.computeReplaceProbabilityFromExpectedSurvivalLength;
  // Python: min(max(max_size / survival_length * (math.log(max_size) + gamma), 0.0), 1.0)
  t.is(f(100, 1000), 0.5182385850889625); // printed by CPython
  t.is(f(1, 10), 0.05772156649015329);
  t.is(f(1000, 100), 1, 'clamped to 1');
  t.is(f(10, 1e12), (10 / 1e12) * (Math.log(10) + 0.5772156649015329));
  t.is(
    new RandomReplacementBuffer(100, { expectedSurvivalLength: 1000 }).replaceProbability,
    f(100, 1000),
    'the constructor uses it',
  );
  t.throws(() => f(100, 0), {
    instanceOf: RangeError,
    message: /expectedSurvivalLength must be greater than 0, got 0/,
  });
  t.throws(() => f(100, -5), { instanceOf: RangeError });
  t.throws(() => f(100, Number.NaN), { instanceOf: RangeError });
  t.throws(() => f(0, 10), { instanceOf: RangeError, message: /maxSize must be a positive integer/ });
});

test('probability 0 is valid: the buffer fills, then never replaces', (t) => {
  const b = new RandomReplacementBuffer<string>(2, { replaceProbability: 0, random: () => 0 });
  t.is(b.maxQueueSize, 2);
  ['A', 'B', 'C', 'D'].forEach((x) => {
    b.add(x);
  });
  t.deepEqual(b.getData(), ['A', 'B']);
});

test('the queue of a random replacement buffer holds maxSize / p items', (t) => {
  t.is(new RandomReplacementBuffer(10, { replaceProbability: 0.3 }).maxQueueSize, 33);
});

test('a random replacement buffer fills in order and reports when full', (t) => {
  const b = new RandomReplacementBuffer<string>(3);
  b.add('A');
  b.add('B');
  t.false(b.isFull);
  b.add('C');
  t.true(b.isFull);
  t.deepEqual(b.getData(), ['A', 'B', 'C']);
});

test('a full buffer replaces the slot the random source picks', (t) => {
  const b = new RandomReplacementBuffer<string>(2, { random: () => 0 });
  ['A', 'B', 'C'].forEach((x) => {
    b.add(x);
  });
  t.deepEqual(b.getData(), ['C', 'B']);
  const c = new RandomReplacementBuffer<string>(2, { random: seq(0, 0.99) });
  ['A', 'B', 'C'].forEach((x) => {
    c.add(x);
  });
  t.deepEqual(c.getData(), ['A', 'C']);
});

test('a full buffer drops the item when the draw exceeds the probability', (t) => {
  const b = new RandomReplacementBuffer<string>(2, { replaceProbability: 0.3, random: () => 0.9 });
  ['A', 'B', 'C'].forEach((x) => {
    b.add(x);
  });
  t.deepEqual(b.getData(), ['A', 'B']);
});

test('a random replacement buffer round-trips through buffer.msgpack', async (t) => {
  const dir = tmpDir(t);
  const b = new RandomReplacementBuffer<number>(3, { random: () => 0 });
  [1, 2, 3].forEach((x) => {
    b.add(x);
  });
  await b.saveState(join(dir, 'buffer'));
  const loaded = new RandomReplacementBuffer<number>(3);
  await loaded.loadState(join(dir, 'buffer'));
  t.deepEqual(loaded.getData(), [1, 2, 3]);
  t.true(loaded.isFull);
});

test('a smaller random replacement buffer keeps the newest saved items, not the first', async (t) => {
  const dir = tmpDir(t);
  // Slots after adding 1..4 with the index draw 0: [4, 2, 3]; by age: 2, 3, 4.
  const b = new RandomReplacementBuffer<number>(3, { random: () => 0 });
  [1, 2, 3, 4].forEach((x) => {
    b.add(x);
  });
  t.deepEqual(b.getData(), [4, 2, 3]);
  await b.saveState(join(dir, 'buffer'));
  const small = new RandomReplacementBuffer<number>(1);
  await small.loadState(join(dir, 'buffer'));
  t.deepEqual(small.getData(), [4]);
  const two = new RandomReplacementBuffer<number>(2);
  await two.loadState(join(dir, 'buffer'));
  t.deepEqual(two.getData(), [3, 4]);
});

test('loading another kind of buffer throws an error naming the file and both kinds', async (t) => {
  const dir = tmpDir(t);
  const b = new SequentialBuffer<number>(3);
  b.add(1);
  await b.saveState(join(dir, 'buffer'));
  const err = await t.throwsAsync(async () => new RandomReplacementBuffer<number>(3).loadState(join(dir, 'buffer')), {
    instanceOf: BufferStateMismatchError,
  });
  t.true(err!.message.includes('buffer.msgpack'));
  t.true(err!.message.includes('SequentialBuffer'));
  t.true(err!.message.includes('RandomReplacementBuffer'));
});

// ---- Dict buffers

for (const [name, make] of [
  ['DictSequentialBuffer', (keys: string[], n: number) => new DictSequentialBuffer<number>(keys, n)],
  ['DictRandomReplacementBuffer', (keys: string[], n: number) => new DictRandomReplacementBuffer<number>(keys, n)],
] as const) {
  test(`${name} rejects records whose keys differ (missing, extra, different)`, (t) => {
    const b = make(['a', 'b'], 3);
    t.throws(() => b.add({ a: 1 }), { instanceOf: TypeError, message: /do not match/ });
    t.throws(() => b.add({ a: 1, b: 2, c: 3 }), { instanceOf: TypeError });
    t.throws(() => b.add({ a: 1, c: 3 }), { instanceOf: TypeError });
    t.is(b.length, 0);
  });

  test(`${name} accepts an empty key set`, (t) => {
    const b = make([], 3);
    b.add({});
    t.is(b.length, 1);
    t.deepEqual(b.getData(), {});
  });

  test(`${name} returns one array per key`, (t) => {
    const b = make(['a', 'b'], 3);
    t.deepEqual(b.getData(), { a: [], b: [] });
    b.add({ a: 1, b: 2 });
    b.add({ b: 4, a: 3 });
    t.deepEqual(b.getData(), { a: [1, 3], b: [2, 4] });
  });

  test(`${name} stores a shallow copy of each record`, (t) => {
    const b = make(['a'], 3);
    const record = { a: 1 };
    b.add(record);
    record.a = 100;
    t.deepEqual(b.getData(), { a: [1] });
  });

  test(`${name} returns a copy of its keys`, (t) => {
    const b = make(['a', 'b'], 3);
    b.keys.push('c');
    t.deepEqual(b.keys, ['a', 'b']);
  });

  test(`${name} round-trips through buffer.msgpack`, async (t) => {
    const dir = tmpDir(t);
    const b = make(['x', 'y'], 3);
    b.add({ x: 1, y: 10 });
    b.add({ x: 2, y: 20 });
    await b.saveState(join(dir, 'buffer'));
    const loaded = make(['y', 'x'], 3);
    await loaded.loadState(join(dir, 'buffer'));
    t.deepEqual(loaded.getData(), { y: [10, 20], x: [1, 2] });
  });

  test(`${name} refuses a state saved with other keys, naming the difference`, async (t) => {
    const dir = tmpDir(t);
    const b = make(['x', 'y'], 3);
    b.add({ x: 1, y: 10 });
    await b.saveState(join(dir, 'buffer'));
    const err = await t.throwsAsync(async () => make(['x', 'z'], 3).loadState(join(dir, 'buffer')), {
      instanceOf: BufferStateMismatchError,
    });
    t.regex(err!.message, /missing \["z"\]/);
    t.regex(err!.message, /unexpected \["y"\]/);
  });
}

test('a dict sequential buffer evicts the oldest record when full', (t) => {
  const b = new DictSequentialBuffer<number>(['a'], 2);
  [1, 2, 3].forEach((a) => {
    b.add({ a });
  });
  t.deepEqual(b.getData(), { a: [2, 3] });
});

test('a dict random replacement buffer replaces the picked record', (t) => {
  const b = new DictRandomReplacementBuffer<string>(['k'], 2, { random: () => 0 });
  ['A', 'B', 'C'].forEach((k) => {
    b.add({ k });
  });
  t.deepEqual(b.getData(), { k: ['C', 'B'] });
});
