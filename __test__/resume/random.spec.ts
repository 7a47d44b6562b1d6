import test from 'ava';
import { DictRandomReplacementBuffer, RandomReplacementBuffer } from '../../src/data/index.js';
import { RandomSource, globalRandom, seedGlobalRandom } from '../../src/random/index.js';
import { StateStore } from '../../src/state/store.js';
import { tmpDir } from '../helpers/tmp.js';

const draw = (r: RandomSource, n = 20) => Array.from({ length: n }, () => r.random());

test('a seeded source repeats its sequence; another seed gives another', (t) => {
  t.deepEqual(draw(new RandomSource(5)), draw(new RandomSource(5)));
  t.notDeepEqual(draw(new RandomSource(5)), draw(new RandomSource(6)));
  const r = new RandomSource(1);
  for (let i = 0; i < 1000; i++) {
    const v = r.random();
    t.true(v >= 0 && v < 1);
    const k = r.int(7);
    t.true(Number.isInteger(k) && k >= 0 && k < 7);
  }
  t.throws(() => r.int(0), { instanceOf: RangeError });
  t.throws(() => new RandomSource(1.5), { instanceOf: RangeError });
});

test('the state saved in a store continues the sequence exactly after a load', async (t) => {
  const dir = tmpDir(t);
  const a = new RandomSource(42);
  draw(a, 17);
  const store = new StateStore({ statesDir: dir });
  store.register('random', a);
  const state = await store.saveState();
  const next = draw(a);
  const b = new RandomSource(1);
  const other = new StateStore({ statesDir: dir });
  other.register('random', b);
  await other.loadState(state);
  t.deepEqual(draw(b), next);
  t.throws(() => b.setState([1, 2, 3]), { instanceOf: TypeError });
});

test('split() gives independent sources that never repeat each other', (t) => {
  const r = new RandomSource(3);
  const c1 = r.split();
  const c2 = r.split();
  t.notDeepEqual(draw(c1), draw(c2));
  t.notDeepEqual(draw(r), draw(new RandomSource(3).split()));
});

test('RandomReplacementBuffer draws from the seeded global source by default and keeps slots across a save', async (t) => {
  const fill = () => {
    const b = new RandomReplacementBuffer<number>(8, { replaceProbability: 0.5 });
    for (let i = 0; i < 100; i++) b.add(i);
    return b;
  };
  seedGlobalRandom(9);
  const a = fill().getData();
  seedGlobalRandom(9);
  const buffer = fill();
  t.deepEqual(buffer.getData(), a);
  seedGlobalRandom(10);
  t.notDeepEqual(fill().getData(), a);

  const store = new StateStore({ statesDir: tmpDir(t) });
  store.register('buffer', buffer);
  const state = await store.saveState();
  const loaded = new RandomReplacementBuffer<number>(8, { replaceProbability: 0.5 });
  const other = new StateStore({ statesDir: tmpDir(t) });
  other.register('buffer', loaded);
  await other.loadState(state);
  t.deepEqual(loaded.getData(), buffer.getData(), 'every item back in its slot');
  const r = globalRandom().getState();
  for (let i = 100; i < 150; i++) buffer.add(i);
  globalRandom().setState(r);
  for (let i = 100; i < 150; i++) loaded.add(i);
  t.deepEqual(loaded.getData(), buffer.getData());
});

test('DictRandomReplacementBuffer keeps every record in its slot across a save, so it resumes the same replacements', async (t) => {
  const fill = () => {
    const b = new DictRandomReplacementBuffer<number>(['obs', 'reward'], 8, { replaceProbability: 0.5 });
    for (let i = 0; i < 100; i++) b.add({ obs: i, reward: -i });
    return b;
  };
  seedGlobalRandom(21);
  const buffer = fill();
  const byAge = buffer.getData();
  t.notDeepEqual(
    byAge.obs,
    [...byAge.obs!].sort((a, b) => a - b),
    'the slots are not in age order (else this spec proves nothing)',
  );
  const store = new StateStore({ statesDir: tmpDir(t) });
  store.register('buffer', buffer);
  const state = await store.saveState();
  const loaded = new DictRandomReplacementBuffer<number>(['obs', 'reward'], 8, { replaceProbability: 0.5 });
  const other = new StateStore({ statesDir: tmpDir(t) });
  other.register('buffer', loaded);
  await other.loadState(state);
  t.deepEqual(loaded.getData(), buffer.getData(), 'every record back in its slot');
  const r = globalRandom().getState();
  for (let i = 100; i < 150; i++) buffer.add({ obs: i, reward: -i });
  globalRandom().setState(r);
  for (let i = 100; i < 150; i++) loaded.add({ obs: i, reward: -i });
  t.deepEqual(loaded.getData(), buffer.getData());
});
