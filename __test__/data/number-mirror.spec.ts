/**
 * The number-record columns a ring keeps as items are added (src/data/number-mirror.ts): whatever the
 * history (appends, wrap-arounds, snapshots taken between them, replaced content, items that do not
 * fit), a save encodes exactly the bytes the item-by-item path encodes for the same items, and the
 * mirrored columns are really what the encoder used.
 */
import test from 'ava';
import { encodeBufferFile } from '../../src/codec/buffer-format.js';
import { decodeBufferFileDeferred } from '../../src/codec/buffer-format.js';
import { type ItemRuns, NumberRuns, encodeRecordsSteps, type RecordBatch } from '../../src/codec/records.js';
import { ChunkedRing, RING_CHUNK, flatten, snapshotRuns } from '../../src/data/chunked-ring.js';
import { DictSequentialBuffer, SequentialBuffer } from '../../src/data/index.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../helpers/tmp.js';
import { concat } from '../helpers/bytes.js';
import { rng } from '../helpers/rng.js';
import { specSeed } from '../helpers/seed.js';

const META = { kind: 'SequentialBuffer', config: {}, columns: ['items'] };

/** The buffer file of a ring snapshot, encoded from its runs (mirror used where it holds). */
function fileOfRuns(runs: ItemRuns): Uint8Array {
  return concat(encodeBufferFile(META, [runs]));
}

/** The buffer file of the same items as a plain array (no mirror: every object read). */
function fileOfItems(items: readonly unknown[]): Uint8Array {
  return concat(encodeBufferFile(META, [items]));
}

/** How many items of the runs come from the mirror. */
function mirroredCount(runs: ItemRuns): number {
  if (runs.mirrorKeys === undefined && runs.mirrorRowWidth === undefined) return 0;
  let n = 0;
  for (const r of runs.runs) if (r.cols) n += Math.max(0, Math.min(r.to, r.colsUpTo ?? 0) - r.from);
  return n;
}

test('number records added to a ring are mirrored as columns and encode to the same bytes as the items', (t) => {
  const max = RING_CHUNK + 777;
  const ring = new ChunkedRing<unknown>(max, true);
  const make = (i: number) => ({ step: i, reward: (i % 1000) * 0.25 - 100, x: Math.sin(i), flag: i % 2 });
  for (let i = 0; i < max + 5_000; i++) ring.push(make(i)); // wrapped
  const snap = ring.snapshot();
  const runs = snapshotRuns(snap);
  t.deepEqual(runs.mirrorKeys, ['step', 'reward', 'x', 'flag']);
  t.is(mirroredCount(runs), max, 'every item of the snapshot comes from the mirror');
  t.deepEqual(fileOfRuns(runs), fileOfItems(flatten(snap)));
});

test('the encoder really reads the mirror: a column value changed in the mirror shows in the batch', (t) => {
  const ring = new ChunkedRing<unknown>(10, true);
  for (let i = 0; i < 10; i++) ring.push({ a: i + 0.5 });
  const runs = snapshotRuns(ring.snapshot());
  (runs.runs[0]!.cols![0] as Float64Array)[3] = 99.5;
  const steps = encodeRecordsSteps(runs);
  let r = steps.next();
  while (!r.done) r = steps.next();
  const batch = r.value as RecordBatch;
  t.is((batch.columns[0] as Float64Array)[3], 99.5);
});

test('a snapshot keeps its mirrored values while later pushes overwrite every chunk (copy on write)', (t) => {
  const max = 2 * RING_CHUNK + 10;
  const ring = new ChunkedRing<unknown>(max, true);
  for (let i = 0; i < max; i++) ring.push({ v: i });
  const snap = ring.snapshot();
  const before = fileOfItems(flatten(snap));
  for (let i = 0; i < max + 3; i++) ring.push({ v: -i - 0.5 });
  const runs = snapshotRuns(snap);
  t.is(mirroredCount(runs), max);
  t.deepEqual(fileOfRuns(runs), before);
  const now = ring.snapshot();
  t.deepEqual(fileOfRuns(snapshotRuns(now)), fileOfItems(flatten(now)));
});

test('an item that does not fit turns the mirror off; the save reads the objects and stays exact', (t) => {
  for (const odd of [
    { a: 1, b: 'two' }, // a field that is not a number
    { b: 2, a: 1 }, // another key order
    { a: 1 }, // a missing key
    Object.assign(Object.create(null) as object, { a: 1, b: 2 }), // another prototype
    [1, 2], // not a record
  ]) {
    const ring = new ChunkedRing<unknown>(100, true);
    for (let i = 0; i < 50; i++) ring.push({ a: i, b: i * 0.5 });
    ring.push(odd);
    for (let i = 0; i < 70; i++) ring.push({ a: i, b: i * 0.5 });
    const snap = ring.snapshot();
    const runs = snapshotRuns(snap);
    t.is(runs.mirrorKeys, undefined, JSON.stringify(odd));
    t.deepEqual(fileOfRuns(runs), fileOfItems(flatten(snap)));
  }
});

test('records whose first item is not a number record are never mirrored', (t) => {
  const ring = new ChunkedRing<unknown>(8, true);
  ring.push({ a: 'x' });
  ring.push({ a: 1 });
  t.is(snapshotRuns(ring.snapshot()).mirrorKeys, undefined);
  const plain = new ChunkedRing<unknown>(8);
  plain.push({ a: 1 });
  t.is(snapshotRuns(plain.snapshot()).mirrorKeys, undefined, 'a ring without mirror keeps none');
});

test('after a replace, chunks are mirrored from their next rewrite on; the rest is read from the items', (t) => {
  const max = RING_CHUNK + 100;
  const ring = new ChunkedRing<unknown>(max, true);
  const items = Array.from({ length: max - 50 }, (_, i) => ({ u: i, w: i * 0.25 }));
  ring.replace(items);
  for (let i = 0; i < 50 + RING_CHUNK / 2; i++) ring.push({ u: -i, w: i * 0.5 }); // fills, then wraps into chunk 0
  const snap = ring.snapshot();
  const runs = snapshotRuns(snap);
  t.deepEqual(runs.mirrorKeys, ['u', 'w']);
  t.is(mirroredCount(runs), RING_CHUNK / 2, 'only the rewritten start of chunk 0 is mirrored');
  t.deepEqual(fileOfRuns(runs), fileOfItems(flatten(snap)));
});

test('a replace given the items’ columns mirrors every slot at once', (t) => {
  const n = RING_CHUNK + 5;
  const ring = new ChunkedRing<unknown>(n + 10, true);
  const items = Array.from({ length: n }, (_, i) => ({ a: i % 7, b: -i * 0.5 }));
  ring.replace(items, {
    keys: ['a', 'b'],
    values: [Uint8Array.from(items, (o) => o.a), Float64Array.from(items, (o) => o.b)],
  });
  for (let i = 0; i < 20; i++) ring.push({ a: 3, b: 1.5 });
  const snap = ring.snapshot();
  const runs = snapshotRuns(snap);
  t.is(mirroredCount(runs), n + 10);
  t.deepEqual(fileOfRuns(runs), fileOfItems(flatten(snap)));
});

test('a loaded buffer keeps its number columns: the next save is mirrored and byte-identical', (t) => {
  const n = 1000;
  const a = new SequentialBuffer<unknown>(n);
  for (let i = 0; i < n + 200; i++) a.add({ s: i, r: i * 0.1, z: i === 5 ? -0 : 0 });
  const file = fileOfRuns(snapshotRunsOf(a));
  const { columns } = decodeBufferFileDeferred(file);
  const b = new SequentialBuffer<unknown>(n - 100); // smaller: keeps the newest
  // As loadState does with a record batch:
  (b as unknown as { deferred: unknown }).deferred = columns[0];
  b.add({ s: -1, r: 0.5, z: 0 });
  const runs = snapshotRunsOf(b);
  t.is(mirroredCount(runs), n - 100);
  t.deepEqual(fileOfRuns(runs), fileOfItems(b.getData()));
  t.true(Object.is((b.getData()[4] as { z: number }).z, 0));
});

function snapshotRunsOf(buffer: SequentialBuffer<unknown>): ItemRuns {
  const ring = (buffer as unknown as { ring(): ChunkedRing<unknown> }).ring();
  return snapshotRuns(ring.snapshot());
}

test('random histories: pushes, snapshots, wraps, replaces and odd items always encode exactly', (t) => {
  const seed = specSeed(t, import.meta.url);
  const rnd = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const specials = [-0, NaN, Infinity, -Infinity, 2 ** 53 + 2, -(2 ** 31), 2 ** 32 - 1, 255, 256, -129, 0.1];
  for (let round = 0; round < 12; round++) {
    const max = pick([1, 7, 300, RING_CHUNK - 1, RING_CHUNK + 3]);
    const ring = new ChunkedRing<unknown>(max, true);
    const value = () => (rnd() < 0.05 ? pick(specials) : rnd() < 0.5 ? Math.floor(rnd() * 300) - 20 : rnd() * 10);
    const item = () => (rnd() < 0.002 ? { a: value(), b: 'odd' } : { a: value(), b: value() });
    const snaps: { runs: ItemRuns; expect: Uint8Array }[] = [];
    const ops = Math.floor(rnd() * 4) + 2;
    for (let o = 0; o < ops; o++) {
      const what = rnd();
      if (what < 0.15) {
        const k = Math.floor(rnd() * max) + 1;
        ring.replace(Array.from({ length: k }, () => ({ a: value(), b: value() })));
      } else {
        const k = Math.floor(rnd() * max * 1.5) + 1;
        for (let i = 0; i < k; i++) ring.push(item());
      }
      const snap = ring.snapshot();
      snaps.push({ runs: snapshotRuns(snap), expect: fileOfItems(flatten(snap)) });
    }
    for (const s of snaps) t.deepEqual(fileOfRuns(s.runs), s.expect, `round ${round}, max ${max}`);
  }
});

test('a dict buffer of numbers saves its mirrored fields as columns: the same bytes as its rows, and it loads back', async (t) => {
  const dir = tmpDir(t);
  const keys = ['obs', 'action', 'reward'];
  const max = RING_CHUNK + 40;
  const b = new DictSequentialBuffer<number>(keys, max);
  for (let i = 0; i < max + 1234; i++) b.add({ reward: i === 7 ? -0 : i * 0.5, obs: Math.cos(i), action: i % 3 });
  const sources = (b as unknown as { captureColumns(): () => unknown[] }).captureColumns()();
  t.true(
    sources.every((s) => s instanceof NumberRuns),
    'every field comes from the mirror',
  );
  await b.saveState(join(dir, 'dict'));
  const saved = new Uint8Array(readFileSync(join(dir, 'dict.msgpack')));
  const data = b.getData();
  const expected = concat(
    encodeBufferFile(
      { kind: 'DictSequentialBuffer', config: { maxSize: max, keys }, columns: keys },
      keys.map((k) => data[k]!),
    ),
  );
  t.deepEqual(saved, expected);
  const c = new DictSequentialBuffer<number>(keys, max);
  await c.loadState(join(dir, 'dict'));
  t.deepEqual(c.getData(), data);
});

test('a save right after a load writes the loaded number columns without building the objects', async (t) => {
  const dir = tmpDir(t);
  const n = 70_000;
  const a = new SequentialBuffer<unknown>(n);
  for (let i = 0; i < n + 10; i++) a.add({ t: i, r: i === 20 ? -0 : (i % 9) - 4, x: i * 0.125 });
  await a.saveState(join(dir, 'a'));
  const original = readFileSync(join(dir, 'a.msgpack'));
  for (const size of [n, n - 1000]) {
    const b = new SequentialBuffer<unknown>(size);
    await b.loadState(join(dir, 'a'));
    await b.saveState(join(dir, `b${size}`));
    t.not((b as unknown as { deferred: unknown }).deferred, undefined, 'the loaded items are still not built');
    const again = readFileSync(join(dir, `b${size}.msgpack`));
    if (size === n) t.deepEqual(again, original);
    const expected = concat(encodeBufferFile({ ...META, config: { maxSize: size } }, [b.getData()]));
    t.deepEqual(new Uint8Array(again), expected);
  }
});

test('rows of numbers are mirrored row-major and written as the list path writes them', (t) => {
  const max = RING_CHUNK + 300;
  const ring = new ChunkedRing<unknown>(max, true);
  const row = (i: number) => [i, (i % 1000) * 0.25, -(i % 97), i === 5 ? -0 : Math.sqrt(i)];
  for (let i = 0; i < max + 4_000; i++) ring.push(row(i));
  const snap = ring.snapshot();
  const runs = snapshotRuns(snap);
  t.is(runs.mirrorRowWidth, 4);
  t.is(runs.mirrorKeys, undefined);
  t.is(mirroredCount(runs), max);
  t.deepEqual(fileOfRuns(runs), fileOfItems(flatten(snap)));
  (runs.runs[0]!.cols![0] as Float64Array)[0] = 1234.5; // the writer reads the mirror
  t.notDeepEqual(fileOfRuns(runs), fileOfItems(flatten(snap)));
  for (const odd of [[1, 2, 3], [1, 2, 3, 'x'], { 0: 1, 1: 2, 2: 3, 3: 4 }, 7]) {
    const r = new ChunkedRing<unknown>(50, true);
    for (let i = 0; i < 20; i++) r.push(row(i));
    r.push(odd);
    for (let i = 0; i < 40; i++) r.push(row(i));
    const s2 = r.snapshot();
    const runs2 = snapshotRuns(s2);
    t.is(runs2.mirrorRowWidth, undefined, JSON.stringify(odd));
    t.deepEqual(fileOfRuns(runs2), fileOfItems(flatten(s2)));
  }
});

test('a loaded buffer of number rows saves them again without building them, and keeps mirroring', async (t) => {
  const dir = tmpDir(t);
  const n = 70_000;
  const a = new SequentialBuffer<number[]>(n);
  for (let i = 0; i < n + 10; i++) a.add([i, i * 0.5, -(i % 5), 2 ** 40 + i]);
  await a.saveState(join(dir, 'a'));
  const original = readFileSync(join(dir, 'a.msgpack'));
  const b = new SequentialBuffer<number[]>(n - 100);
  await b.loadState(join(dir, 'a'));
  await b.saveState(join(dir, 'b'));
  t.not((b as unknown as { deferred: unknown }).deferred, undefined, 'the loaded rows are still not built');
  const expected = concat(encodeBufferFile({ ...META, config: { maxSize: n - 100 } }, [b.getData()]));
  t.deepEqual(new Uint8Array(readFileSync(join(dir, 'b.msgpack'))), expected);
  b.add([1, 2, 3, 4]);
  const runs = snapshotRunsOf(b as SequentialBuffer<unknown>);
  t.is(mirroredCount(runs), n - 100, 'the loaded rows seed the mirror');
  t.deepEqual(fileOfRuns(runs), fileOfItems(b.getData()));
  const c = new SequentialBuffer<number[]>(n);
  await c.loadState(join(dir, 'a'));
  await c.saveState(join(dir, 'c'));
  t.deepEqual(readFileSync(join(dir, 'c.msgpack')), original);
});

test('random histories of number rows: pushes, snapshots, wraps and odd rows always encode exactly', (t) => {
  const seed = specSeed(t, import.meta.url);
  const rnd = rng(seed);
  const specials = [-0, NaN, Infinity, 2 ** 53 + 2, 0.1, -3];
  for (let round = 0; round < 10; round++) {
    const max = [1, 9, 500, RING_CHUNK + 3][Math.floor(rnd() * 4)]!;
    const w = 1 + Math.floor(rnd() * 5);
    const ring = new ChunkedRing<unknown>(max, true);
    const value = () => (rnd() < 0.05 ? specials[Math.floor(rnd() * specials.length)]! : Math.floor(rnd() * 1000) - 10);
    const item = () => (rnd() < 0.001 ? Array.from({ length: w + 1 }, value) : Array.from({ length: w }, value));
    const snaps: { runs: ItemRuns; expect: Uint8Array }[] = [];
    for (let o = 0; o < 3; o++) {
      if (rnd() < 0.2)
        ring.replace(Array.from({ length: Math.floor(rnd() * max) + 1 }, () => Array.from({ length: w }, value)));
      else for (let i = Math.floor(rnd() * max * 1.5) + 1; i > 0; i--) ring.push(item());
      const snap = ring.snapshot();
      snaps.push({ runs: snapshotRuns(snap), expect: fileOfItems(flatten(snap)) });
    }
    for (const s of snaps) t.deepEqual(fileOfRuns(s.runs), s.expect, `round ${round}, max ${max}, width ${w}`);
  }
});

test('a dict buffer loads number columns without building rows: getData, a save and later adds all see the same records', async (t) => {
  const dir = tmpDir(t);
  const keys = ['obs', 'action', 'reward'];
  const max = RING_CHUNK + 40;
  const a = new DictSequentialBuffer<number>(keys, max);
  for (let i = 0; i < max + 500; i++)
    a.add({ obs: Math.cos(i), action: i % 3, reward: i === max + 100 ? -0 : i * 0.5 });
  await a.saveState(join(dir, 'a'));
  const original = readFileSync(join(dir, 'a.msgpack'));
  for (const size of [max, max - 1000]) {
    const b = new DictSequentialBuffer<number>(keys, size);
    await b.loadState(join(dir, 'a'));
    const inner = (b as unknown as { inner: { deferredNumbers(): unknown } }).inner;
    t.not(inner.deferredNumbers(), undefined, 'loaded as columns, no rows built');
    const expected = Object.fromEntries(keys.map((k) => [k, a.getData()[k]!.slice(max - size)]));
    t.deepEqual(b.getData(), expected);
    if (size === max) t.true(Object.is(b.getData().reward![max - 400], -0), '-0 stays -0');
    await b.saveState(join(dir, `b${size}`));
    t.not(inner.deferredNumbers(), undefined, 'a save after the load builds no rows either');
    if (size === max) t.deepEqual(readFileSync(join(dir, `b${size}.msgpack`)), original);
    b.add({ obs: 1, action: 2, reward: 3 });
    t.is(inner.deferredNumbers(), undefined);
    const after = b.getData();
    t.deepEqual(after.action!.slice(-2), [expected.action!.at(-1), 2]);
    t.is(after.obs!.length, size);
    // The rows built on first use seed the mirror: the next save reads no rows and is exact.
    const sources = (b as unknown as { captureColumns(): () => unknown[] }).captureColumns()();
    t.true(sources.every((s) => s instanceof NumberRuns));
    await b.saveState(join(dir, `c${size}`));
    const c = new DictSequentialBuffer<number>(keys, size);
    await c.loadState(join(dir, `c${size}`));
    t.deepEqual(c.getData(), after);
  }
});

test('numberColumns: false keeps no columns (the memory they cost) and saves the same bytes from the objects', async (t) => {
  const dir = tmpDir(t);
  const save = async (options: { numberColumns?: boolean }, name: string) => {
    const b = new SequentialBuffer<unknown>(1000, options);
    for (let i = 0; i < 1500; i++) b.add({ a: i, b: i * 0.5 });
    const runs = snapshotRunsOf(b);
    await b.saveState(join(dir, name));
    return { mirrored: mirroredCount(runs), bytes: readFileSync(join(dir, `${name}.msgpack`)) };
  };
  const on = await save({}, 'on');
  const off = await save({ numberColumns: false }, 'off');
  t.is(on.mirrored, 1000);
  t.is(off.mirrored, 0);
  t.deepEqual(off.bytes, on.bytes);
  const d = new DictSequentialBuffer<number>(['a'], 10, { numberColumns: false });
  d.add({ a: 1 });
  const inner = (d as unknown as { inner: SequentialBuffer<unknown> }).inner;
  t.is(mirroredCount(snapshotRunsOf(inner)), 0);
});
