import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TimeAnchor } from '../../src/time/anchor.js';
import {
  FakeClock,
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

// Specs that touch the global clock run serially and restore it. Time is driven by a FakeClock;
// real-time.spec.ts holds the tolerant checks against real time.
const serial = test.serial;

const near = (actual: number, expected: number, margin: number) => Math.abs(actual - expected) <= margin;
/** A controller on a fresh fake clock. */
function fake(): { clock: FakeClock; c: TimeController } {
  const clock = new FakeClock();
  return { clock, c: new TimeController(clock) };
}
/** Whether `promise` has settled (after the microtasks and a turn of the event loop). */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
}

test.afterEach.always(() => {
  setTimeScale(1);
  resume();
});

serial('module functions are bound to the global controller', (t) => {
  const replacement = new TimeController(new FakeClock());
  const previous = setGlobalTimeController(replacement);
  t.teardown(() => setGlobalTimeController(previous));
  const c = getGlobalTimeController();
  t.is(c, replacement);
  t.is(time(), c.time());
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
  const before = Date.now();
  const real = new TimeController();
  real.pause();
  const after = Date.now();
  // Date.now() has millisecond resolution: allow one on each side.
  t.true(
    real.time() * 1000 >= before - 1 && real.time() * 1000 <= after + 1,
    `${real.time()} vs [${before}, ${after}] ms`,
  );
  const clock = new FakeClock({ wall: 1_700_000_000_000 });
  t.is(new TimeController(clock).time(), 1_700_000_000);
});

test('sleep waits the given seconds at scale 1', async (t) => {
  const { clock, c } = fake();
  const slept = c.sleep(0.1);
  await clock.advance(99);
  t.false(await settled(slept), 'not before 100 ms');
  await clock.advance(1);
  t.true(await settled(slept));
});

test('sleep waits half as long at scale 2', async (t) => {
  const { clock, c } = fake();
  c.setTimeScale(2);
  const slept = c.sleep(0.1);
  await clock.advance(49);
  t.false(await settled(slept));
  await clock.advance(1);
  t.true(await settled(slept));
});

test('the clocks advance twice as fast at scale 2', async (t) => {
  const { clock, c } = fake();
  c.setTimeScale(2);
  const [a, b, m] = [c.time(), c.perfCounter(), c.monotonic()];
  await clock.advance(100);
  t.true(near(c.time() - a, 0.2, 1e-6));
  t.true(near(c.perfCounter() - b, 0.2, 1e-9));
  t.true(near(c.monotonic() - m, 0.2, 1e-9));
});

test('changing the scale keeps the clocks continuous', async (t) => {
  const { clock, c } = fake();
  await clock.advance(50);
  const before = c.perfCounter();
  c.setTimeScale(10);
  t.is(c.perfCounter(), before);
  await clock.advance(10);
  t.true(near(c.perfCounter() - before, 0.1, 1e-9), 'ten times faster from the change on');
});

test('pause freezes every clock', async (t) => {
  const { clock, c } = fake();
  c.pause();
  const [a, b, m] = [c.time(), c.perfCounter(), c.monotonic()];
  await clock.advance(50);
  t.is(c.time(), a);
  t.is(c.perfCounter(), b);
  t.is(c.monotonic(), m);
});

test('time across pause and resume counts only the running spans', async (t) => {
  const { clock, c } = fake();
  const start = c.perfCounter();
  await clock.advance(50);
  c.pause();
  await clock.advance(100);
  c.resume();
  await clock.advance(50);
  c.pause();
  await clock.advance(100);
  c.resume();
  t.true(near(c.perfCounter() - start, 0.1, 1e-9));
});

test('sleep returns at once while paused', async (t) => {
  const { clock, c } = fake();
  c.pause();
  t.true(await settled(c.sleep(1)), 'settled with no time passing');
  t.is(clock.pending, 0, 'no timer was set');
});

test('a pause that starts during a sleep does not shorten it', async (t) => {
  const { clock, c } = fake();
  const slept = c.sleep(0.1);
  c.pause();
  await clock.advance(99);
  t.false(await settled(slept));
  await clock.advance(1);
  t.true(await settled(slept));
});

test('pause and resume are idempotent', async (t) => {
  const { clock, c } = fake();
  c.pause();
  const frozen = c.time();
  await clock.advance(10);
  c.pause();
  t.true(c.isPaused());
  t.is(c.time(), frozen);
  c.resume();
  await clock.advance(10);
  c.resume();
  t.false(c.isPaused());
  t.true(near(c.time(), frozen + 0.01, 1e-6), 'a second resume does not move the anchor');
});

serial('fixedTime ignores scale and pause', async (t) => {
  setTimeScale(100);
  pause();
  const before = Date.now();
  const fixed = fixedTime() * 1000;
  const after = Date.now();
  t.true(fixed >= before - 1 && fixed <= after + 1, `${fixed} vs [${before}, ${after}]`);
});

test('stateDict holds the current readings', (t) => {
  const c = new TimeController();
  c.pause();
  t.deepEqual(c.stateDict(), { time: c.time(), perfCounter: c.perfCounter(), monotonic: c.monotonic() });
});

test('a controller that loads a state dict continues from it, skipping the time in between', async (t) => {
  const clock = new FakeClock();
  const a = new TimeController(clock);
  const state = a.stateDict();
  await clock.advance(100);
  const b = new TimeController(clock);
  b.loadStateDict(state);
  t.deepEqual(b.stateDict(), state, 'continues exactly where the state was saved');
  await clock.advance(30);
  t.true(near(a.time() - b.time(), 0.1, 1e-6));
  t.true(near(a.perfCounter() - b.perfCounter(), 0.1, 1e-9));
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

test('an anchor taken before a load is not skewed by the restored time', async (t) => {
  const { clock, c } = fake();
  const anchor = new TimeAnchor('time', c);
  anchor.reset();
  await clock.advance(50);
  // A state saved an hour ago: pamiq time jumps back by an hour.
  c.loadStateDict({ time: c.time() - 3600, perfCounter: c.perfCounter() - 3600, monotonic: c.monotonic() - 3600 });
  await clock.advance(50);
  t.true(near(anchor.elapsed(), 0.1, 1e-6));
  t.true(near(c.loadShift('time'), -3600, 1e-6));
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
  const clock = new FakeClock();
  const previous = setGlobalTimeController(new TimeController(clock));
  t.teardown(() => setGlobalTimeController(previous));
  setTimeScale(4);
  const slept = sleep(0.2);
  await clock.advance(49);
  t.false(await settled(slept));
  await clock.advance(1);
  t.true(await settled(slept));
});

test('a fake clock fires due timers in deadline order, each at its own deadline', async (t) => {
  const clock = new FakeClock();
  const seen: string[] = [];
  void clock.sleep(30).then(() => seen.push(`b@${clock.now()}`));
  void clock.sleep(10).then(() => {
    seen.push(`a@${clock.now()}`);
    // A timer set by woken code fires within the same advance when it comes due.
    void clock.sleep(5).then(() => seen.push(`c@${clock.now()}`));
  });
  await clock.advance(29);
  t.deepEqual(seen, ['a@10', 'c@15']);
  t.is(clock.now(), 29);
  await clock.advance(1);
  t.deepEqual(seen, ['a@10', 'c@15', 'b@30']);
  t.is(clock.pending, 0);
});

test('an aborted fake-clock sleep resolves at once and leaves no timer', async (t) => {
  const clock = new FakeClock();
  const ac = new AbortController();
  const slept = clock.sleep(1000, { signal: ac.signal });
  t.is(clock.pending, 1);
  ac.abort();
  t.true(await settled(slept));
  t.is(clock.pending, 0);
  await t.throwsAsync(clock.advance(-1), { instanceOf: RangeError });
});
