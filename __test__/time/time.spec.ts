import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TimeAnchor } from '../../src/time/anchor.js';
import {
  TimeController,
  fixedTime,
  getGlobalTimeController,
  getTimeScale,
  isPaused,
  pause,
  perfCounter,
  resume,
  setGlobalTimeController,
  setTimeScale,
  sleep,
  time,
  monotonic,
} from '../../src/time/index.js';
import { tmpDir } from '../helpers/tmp.js';

// Specs that touch the global clock run serially and restore it.
const serial = test.serial;

const realWait = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
const near = (actual: number, expected: number, margin: number) => Math.abs(actual - expected) <= margin;

test.afterEach.always(() => {
  setTimeScale(1);
  resume();
});

test('module functions are bound to the global controller', (t) => {
  const c = getGlobalTimeController();
  t.true(near(time(), c.time(), 0.01));
  t.is(getTimeScale(), c.getTimeScale());
  t.is(isPaused(), c.isPaused());
});

test('the default time scale is 1', (t) => {
  t.is(new TimeController().getTimeScale(), 1);
});

test('a scale that is not a finite positive number throws a RangeError naming it', (t) => {
  const c = new TimeController();
  for (const bad of [0, -1, Number.NaN, Infinity]) {
    const err = t.throws(() => c.setTimeScale(bad), { instanceOf: RangeError });
    t.true(err!.message.includes(String(bad)));
  }
  t.is(c.getTimeScale(), 1);
});

test('the clocks never run backwards', (t) => {
  const c = new TimeController();
  let [a, b, m] = [c.time(), c.perfCounter(), c.monotonic()];
  for (let i = 0; i < 1000; i++) {
    const [a2, b2, m2] = [c.time(), c.perfCounter(), c.monotonic()];
    t.true(a2 >= a && b2 >= b && m2 >= m);
    [a, b, m] = [a2, b2, m2];
  }
});

test('time starts at the wall clock', (t) => {
  t.true(near(new TimeController().time(), Date.now() / 1000, 0.05));
});

serial('sleep waits the given seconds at scale 1', async (t) => {
  const c = new TimeController();
  const start = performance.now();
  await c.sleep(0.1);
  t.true(near((performance.now() - start) / 1000, 0.1, 0.03));
});

serial('sleep waits half as long at scale 2', async (t) => {
  const c = new TimeController();
  c.setTimeScale(2);
  const start = performance.now();
  await c.sleep(0.1);
  t.true(near((performance.now() - start) / 1000, 0.05, 0.03));
});

serial('the clocks advance twice as fast at scale 2', async (t) => {
  const c = new TimeController();
  c.setTimeScale(2);
  const [a, b, m] = [c.time(), c.perfCounter(), c.monotonic()];
  await realWait(0.1);
  t.true(near(c.time() - a, 0.2, 0.04));
  t.true(near(c.perfCounter() - b, 0.2, 0.04));
  t.true(near(c.monotonic() - m, 0.2, 0.04));
});

test('changing the scale keeps the clocks continuous', (t) => {
  const c = new TimeController();
  const before = c.perfCounter();
  c.setTimeScale(10);
  t.true(near(c.perfCounter(), before, 0.005));
});

serial('pause freezes every clock', async (t) => {
  const c = new TimeController();
  c.pause();
  const [a, b, m] = [c.time(), c.perfCounter(), c.monotonic()];
  await realWait(0.05);
  t.is(c.time(), a);
  t.is(c.perfCounter(), b);
  t.is(c.monotonic(), m);
});

serial('time across pause and resume counts only the running spans', async (t) => {
  const c = new TimeController();
  const start = c.perfCounter();
  await realWait(0.05);
  c.pause();
  await realWait(0.1);
  c.resume();
  await realWait(0.05);
  c.pause();
  await realWait(0.1);
  c.resume();
  t.true(near(c.perfCounter() - start, 0.1, 0.03));
});

serial('sleep returns at once while paused', async (t) => {
  const c = new TimeController();
  c.pause();
  const start = performance.now();
  await c.sleep(1);
  t.true(performance.now() - start < 50);
});

test('pause and resume are idempotent', async (t) => {
  const c = new TimeController();
  c.pause();
  const frozen = c.time();
  c.pause();
  t.true(c.isPaused());
  t.is(c.time(), frozen);
  c.resume();
  c.resume();
  t.false(c.isPaused());
  t.true(near(c.time(), frozen, 0.01));
});

serial('fixedTime ignores scale and pause', async (t) => {
  setTimeScale(100);
  pause();
  t.true(near(fixedTime(), Date.now() / 1000, 0.01));
});

test('stateDict holds the current readings', (t) => {
  const c = new TimeController();
  c.pause();
  t.deepEqual(c.stateDict(), { time: c.time(), perfCounter: c.perfCounter(), monotonic: c.monotonic() });
});

serial('a controller that loads a state dict continues from it, skipping the time in between', async (t) => {
  const a = new TimeController();
  const state = a.stateDict();
  await realWait(0.1);
  const b = new TimeController();
  b.loadStateDict(state);
  t.true(near(a.time() - b.time(), 0.1, 0.03));
  t.true(near(a.perfCounter() - b.perfCounter(), 0.1, 0.03));
  t.is(b.loadGeneration, 1);
});

test('loading a malformed state dict throws a TypeError and changes nothing', (t) => {
  const c = new TimeController();
  c.pause();
  const before = c.stateDict();
  t.throws(() => c.loadStateDict({ time: 1, perfCounter: 'x' } as never), { instanceOf: TypeError });
  t.deepEqual(c.stateDict(), before);
  t.is(c.loadGeneration, 0);
});

test('saveState writes time.msgpack and loadState reads it back', async (t) => {
  const dir = tmpDir(t);
  const a = new TimeController();
  a.pause();
  await a.saveState(join(dir, 'time'));
  t.true(existsSync(join(dir, 'time.msgpack')));
  const b = new TimeController();
  b.pause();
  await b.loadState(join(dir, 'time'));
  t.deepEqual(b.stateDict(), a.stateDict());
});

test('an anchor is taken lazily at its first use', (t) => {
  const c = new TimeController();
  c.pause();
  const anchor = new TimeAnchor('time', c);
  t.false(anchor.isSet);
  t.is(anchor.elapsed(), 0);
  t.true(anchor.isSet);
  t.is(anchor.at, c.time());
});

serial('an anchor taken before a load is not skewed by the restored time', async (t) => {
  const c = new TimeController();
  const anchor = new TimeAnchor('time', c);
  anchor.reset();
  await realWait(0.05);
  // A state saved an hour ago: pamiq time jumps back by an hour.
  c.loadStateDict({ time: c.time() - 3600, perfCounter: c.perfCounter() - 3600, monotonic: c.monotonic() - 3600 });
  await realWait(0.05);
  t.true(near(anchor.elapsed(), 0.1, 0.03));
  t.true(near(c.loadShift('time'), -3600, 0.01));
});

serial('an anchor follows a replaced global controller', (t) => {
  const replacement = new TimeController();
  replacement.pause();
  const previous = setGlobalTimeController(replacement);
  t.teardown(() => setGlobalTimeController(previous));
  const anchor = new TimeAnchor('perfCounter');
  t.is(anchor.reset(), replacement.perfCounter());
  t.is(perfCounter(), replacement.perfCounter());
  t.is(monotonic(), replacement.monotonic());
});

serial('the global sleep follows the global scale', async (t) => {
  setTimeScale(4);
  const start = performance.now();
  await sleep(0.2);
  t.true(near((performance.now() - start) / 1000, 0.05, 0.03));
});
