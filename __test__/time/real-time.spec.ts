/**
 * The mechanisms that run on real time, checked against the real clock. Every other timing spec
 * drives a FakeClock; these are the only ones that wait, so their bounds are tolerant of a loaded
 * machine: measured intervals bracket the readings, and waits are bounded from below only.
 */
import test from 'ava';
import { performance } from 'node:perf_hooks';
import { TimeController, fixedPerfCounter } from '../../src/time/index.js';
import { realClock } from '../../src/time/clock.js';
import { SleepIntervalAdjustor } from '../../src/interaction/index.js';
import { EventLoopRunner } from '../../src/launch/loop.js';

const realWait = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('real time: the pamiq clocks advance with performance.now(), scale times faster, and stand still while paused', async (t) => {
  const c = new TimeController();
  c.setTimeScale(2);
  // Each reading is taken between two real readings, so the pamiq interval is bracketed by the real
  // intervals however late the timer fires.
  const outerStart = performance.now();
  const p0 = c.perfCounter();
  const innerStart = performance.now();
  await realWait(50);
  const innerEnd = performance.now();
  const p1 = c.perfCounter();
  const outerEnd = performance.now();
  const pamiqMs = (p1 - p0) * 1000;
  const slack = 0.01; // float rounding of the second-based readings
  t.true(pamiqMs >= 2 * (innerEnd - innerStart) - slack, `${pamiqMs} ms vs ${innerEnd - innerStart} real`);
  t.true(pamiqMs <= 2 * (outerEnd - outerStart) + slack, `${pamiqMs} ms vs ${outerEnd - outerStart} real`);
  c.pause();
  const frozen = c.perfCounter();
  await realWait(20);
  t.is(c.perfCounter(), frozen);
});

test('real time: sleep waits at least the given pamiq time divided by the scale, and the fixed clock is real', async (t) => {
  const c = new TimeController();
  c.setTimeScale(2);
  const start = performance.now();
  await c.sleep(0.1);
  const elapsed = performance.now() - start;
  t.true(elapsed >= 50 - 0.5, `${elapsed} ms`);
  const begin = fixedPerfCounter();
  await realClock.sleep(20, { precise: true });
  t.true((fixedPerfCounter() - begin) * 1000 >= 20 - 0.5);
  const ac = new AbortController();
  const aborted = realClock.sleep(60_000, { signal: ac.signal });
  ac.abort();
  await aborted; // resolves at once (the spec's timeout would catch a sleep that ignored the abort)
});

test("real time: a sleep adjustor's periods are never shorter than the interval and add up to the real time passed", async (t) => {
  const adjustor = new SleepIntervalAdjustor(0.02);
  const start = performance.now();
  adjustor.reset();
  const periods: number[] = [];
  for (let i = 0; i < 10; i++) periods.push(await adjustor.adjust());
  const total = performance.now() - start;
  for (const p of periods) t.true(p >= 0.02 - 1e-6, `period ${p}`);
  // The periods are measured on the pamiq clock, which follows real time: they add up to the real total.
  const sum = periods.reduce((a, b) => a + b, 0) * 1000;
  t.true(sum <= total + 1 && sum >= 200 - 1, `${sum} ms of periods in ${total} ms`);
});

test('real time: an idle loop keeps stepping, and waitPaused gives up no earlier than its timeout', async (t) => {
  let steps = 0;
  const loop = new EventLoopRunner(
    'idle',
    {
      step: () => {
        steps++;
        return 'idle';
      },
    },
    realClock,
  );
  loop.start();
  await realWait(50);
  t.true(steps >= 1, `${steps} steps`);
  const stuck = new EventLoopRunner('stuck', { step: () => new Promise(() => undefined) }, realClock);
  stuck.start();
  stuck.requestPause();
  const begin = performance.now();
  t.false(await stuck.waitPaused(30));
  t.true(performance.now() - begin >= 29, 'not before the timeout');
  loop.stop();
  await loop.done;
});
