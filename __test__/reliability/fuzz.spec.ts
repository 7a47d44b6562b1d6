/**
 * A short JS-level fuzz of the engine's parsers (see fuzzing.ts; `fuzz.ts` runs a long one): random
 * and mutated bytes into scanList, random and mutated manifests into readState / verifyState /
 * scanStates. Errors, never a crash; and the two backends agree when both are loaded.
 */
import test from 'ava';
import { engine, nativeEngine, typescriptEngine } from '../../src/backend/select.js';
import { fuzzManifests, fuzzScanList } from './fuzzing.js';
import { rng } from './crash.js';
import { nativeSkipReason } from '../helpers/native-skip.js';
import { specSeed } from '../helpers/seed.js';
import { tmpDir } from '../helpers/tmp.js';

const other = (() => {
  const o = engine().name === 'native' ? typescriptEngine() : nativeEngine();
  return o && o.name !== engine().name ? o : undefined;
})();
/** Specs that compare the two backends: visibly skipped when only one is loaded. */
const parity = (title: string, fn: (t: import('ava').ExecutionContext, twin: NonNullable<typeof other>) => unknown) =>
  other
    ? test(title, (t) => fn(t, other))
    : test.skip(`${title} — skipped: only one backend is loaded (${nativeSkipReason})`, () => undefined);

test('scanList turns arbitrary bytes into a result or an EBADMSGPACK error, never a crash', (t) => {
  const seed = specSeed(t, import.meta.url);
  const stats = fuzzScanList(engine(), 3000, rng(seed));
  t.log(`seed ${seed}: ${stats.cases} inputs, ${stats.results} results, ${stats.errors} errors`);
  t.deepEqual(stats.failures.slice(0, 10), [], `seed ${seed}`);
  t.true(stats.results > 0 && stats.errors > 0);
});

test('readState, verifyState and scanStates turn arbitrary manifests into results or engine errors, never a crash', async (t) => {
  const seed = specSeed(t, import.meta.url);
  const stats = await fuzzManifests(engine(), tmpDir(t, 'pamiq-fuzz-'), 300, rng(seed + 1));
  t.log(`seed ${seed}: ${stats.cases} calls, ${stats.results} results, ${stats.errors} errors`);
  t.deepEqual(stats.failures.slice(0, 10), [], `seed ${seed}`);
  t.true(stats.results > 0 && stats.errors > 0);
});

parity('both backends scan the same fuzzed lists alike', (t, other) => {
  const seed = specSeed(t, import.meta.url);
  const stats = fuzzScanList(engine(), 2000, rng(seed + 2), other);
  t.deepEqual(stats.failures.slice(0, 5), [], `seed ${seed}`);
});

parity('both backends judge the same fuzzed manifests alike', async (t, other) => {
  const seed = specSeed(t, import.meta.url);
  const stats = await fuzzManifests(engine(), tmpDir(t, 'pamiq-fuzz-'), 200, rng(seed + 3), other);
  t.deepEqual(stats.failures.slice(0, 5), [], `seed ${seed}`);
});
