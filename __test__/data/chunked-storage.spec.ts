import test from 'ava';
import { ChunkedRing, RING_CHUNK, flatten, snapshotRuns } from '../../src/data/chunked-ring.js';
import { STAMP_CHUNK, StampLog, stampSegments } from '../../src/data/stamp-log.js';
import { ChunkedSlots, SLOTS_CHUNK, slotsArray } from '../../src/data/chunked-slots.js';
import { RandomReplacementBuffer, sortByAge } from '../../src/data/random-replacement-buffer.js';
import { ItemRuns, encodeRecords } from '../../src/codec/records.js';
import { encodeBufferFile } from '../../src/codec/buffer-format.js';
import { typedArrayValueSegments } from '../../src/codec/values.js';
import { concat } from '../helpers/bytes.js';

/** The newest `max` of 0..n-1 (what a FIFO of maxSize `max` holds after n pushes). */
const newest = (n: number, max: number) => Array.from({ length: Math.min(n, max) }, (_, i) => Math.max(0, n - max) + i);

test('a chunked ring keeps the newest maxSize items across chunk boundaries and wrap-arounds', (t) => {
  const max = RING_CHUNK * 2 + 123;
  const ring = new ChunkedRing<number>(max);
  let pushed = 0;
  for (const n of [0, 1, RING_CHUNK - 1, RING_CHUNK, RING_CHUNK + 1, max, max + 1, max + RING_CHUNK + 7, 3 * max + 5]) {
    while (pushed < n) ring.push(pushed++);
    t.deepEqual(ring.toArray(), newest(n, max), `after ${n} pushes`);
    t.is(ring.length, Math.min(n, max));
  }
});

test('a ring snapshot never changes, whatever is pushed after it; its runs hold the same items', (t) => {
  const max = RING_CHUNK + 1000;
  const ring = new ChunkedRing<{ i: number }>(max);
  let pushed = 0;
  const push = (k: number) => {
    for (let j = 0; j < k; j++) ring.push({ i: pushed++ });
  };
  push(max + 500); // full, wrapped
  const snap = ring.snapshot();
  const runs = snapshotRuns(snap);
  const before = flatten(snap).map((o) => o.i);
  t.deepEqual(before, newest(pushed, max));
  push(RING_CHUNK + 17); // overwrites every chunk (copy on write)
  t.deepEqual(
    flatten(snap).map((o) => o.i),
    before,
  );
  t.deepEqual(
    (runs.flat() as { i: number }[]).map((o) => o.i),
    before,
  );
  t.true(runs.runs.length >= 2, 'a wrapped ring is more than one run');
  t.deepEqual(
    ring.toArray().map((o) => o.i),
    newest(pushed, max),
  );
  // The encoder reads the runs where they are: the same batch as from the flat array.
  const flat = flatten(snap);
  t.deepEqual(encodeRecords(runs), encodeRecords(flat));
});

test('a stamp log keeps the newest max timestamps; snapshots and their bytes do not change after later pushes', (t) => {
  const max = STAMP_CHUNK + 999;
  const log = new StampLog(max);
  let pushed = 0;
  const push = (k: number) => {
    for (let j = 0; j < k; j++) log.push(pushed++ * 0.5);
  };
  push(3 * STAMP_CHUNK + 11);
  const expected = newest(pushed, max).map((i) => i * 0.5);
  t.is(log.length, max);
  t.is(log.at(0), expected[0]);
  t.is(log.at(max - 1), expected[max - 1]);
  t.is(log.at(max), undefined);
  const snap = log.snapshot();
  push(2 * STAMP_CHUNK);
  const bytes = concat(stampSegments(snap));
  t.deepEqual(bytes, concat(typedArrayValueSegments(new Float64Array(expected))));
  t.is(log.countAfter((pushed - 10) * 0.5), 9);
  t.is(log.countAfter(-1), max);

  const unbounded = new StampLog(undefined);
  for (let i = 0; i < STAMP_CHUNK + 3; i++) unbounded.push(i);
  t.is(unbounded.length, STAMP_CHUNK + 3);
  unbounded.replace(new Float64Array([1, 2, 3]));
  t.deepEqual(
    concat(stampSegments(unbounded.snapshot())),
    concat(typedArrayValueSegments(new Float64Array([1, 2, 3]))),
  );
  const small = new StampLog(2);
  small.replace([5, 6, 7]);
  t.deepEqual([small.at(0), small.at(1), small.length], [6, 7, 2]);
  t.deepEqual(concat(stampSegments(new StampLog(4).snapshot())), concat(typedArrayValueSegments(new Float64Array(0))));
});

test('a list given as runs encodes to the same buffer-file bytes as the flat list, whatever its items', (t) => {
  const lists: unknown[][] = [
    Array.from({ length: 1000 }, (_, i) => i * 0.5), // a column batch
    Array.from({ length: 1000 }, (_, i) => (i % 3 ? { a: i } : [i, 'x'])), // a generic list
    Array.from({ length: 1000 }, (_, i) => ({ a: i, s: i % 2 ? '' : 'y' })), // a record batch with a value column
  ];
  const meta = { kind: 'SequentialBuffer', config: {}, columns: ['items'] };
  for (const list of lists) {
    const runs = new ItemRuns([
      { items: list, from: 600, to: 1000 },
      { items: list, from: 0, to: 600 },
    ]);
    const rotated = [...list.slice(600), ...list.slice(0, 600)];
    t.deepEqual(concat(encodeBufferFile(meta, [runs])), concat(encodeBufferFile(meta, [rotated])));
  }
});

test('chunked slots: a snapshot never changes, whatever is pushed or written after it', (t) => {
  const slots = new ChunkedSlots<number>();
  const n = 2 * SLOTS_CHUNK + 5;
  for (let i = 0; i < n; i++) slots.push(i);
  const snap = slots.snapshot();
  const before = slotsArray(snap);
  for (let i = 0; i < n; i += 7) slots.set(i, -i); // writes into every chunk (copy on write)
  slots.push(999);
  t.deepEqual(slotsArray(snap), before);
  t.is(slots.length, n + 1);
  t.is(slots.get(7), -7);
  t.is(slots.get(8), 8);
  t.is(slots.get(n), 999);
  t.is(slots.get(n + 1), undefined);
  t.deepEqual(slots.toArray().slice(0, 3), [-0, 1, 2]);
  slots.replace([4, 5]);
  t.deepEqual(slots.toArray(), [4, 5]);
  t.deepEqual(slotsArray(snap), before, 'a replace leaves the snapshot alone too');
});

test('a random-replacement capture copies no slots and still sees its moment after later additions', (t) => {
  let seed = 1;
  const random = () => {
    seed = (seed * 16807) % 2147483647;
    return (seed - 1) / 2147483646;
  };
  const buffer = new RandomReplacementBuffer<{ i: number }>(SLOTS_CHUNK + 100, { random });
  for (let i = 0; i < SLOTS_CHUNK + 100; i++) buffer.add({ i });
  for (let i = 0; i < 500; i++) buffer.add({ i: -i - 1 }); // full: replaces random slots
  const atCapture = buffer.getData();
  const byAgeAtCapture = buffer.itemsByAge();
  const captured = buffer.capture();
  for (let i = 0; i < 5000; i++) buffer.add({ i: 1e6 + i });
  const { items, ages } = captured();
  t.deepEqual(items, atCapture);
  t.deepEqual(sortByAge(items, ages), byAgeAtCapture);
  t.notDeepEqual(buffer.getData(), atCapture, 'the later additions did replace slots');
});
