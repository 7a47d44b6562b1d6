import test from 'ava';
import { ControlLoop } from '../../src/launch/control.js';
import { resolveLaunchConfig } from '../../src/launch/config.js';
import { EventLoopRunner, type LoopRunner } from '../../src/launch/loop.js';
import { StateStore } from '../../src/state/store.js';
import { captureLogs, getLogLevel, setLogLevel } from '../../src/log.js';
import { FakeClock, TimeController, getGlobalTimeController, setGlobalTimeController } from '../../src/time/index.js';
import { Counter } from '../helpers/components.js';
import { tmpDir } from '../helpers/tmp.js';

/**
 * Installs a global time controller on a fake clock: the loops, the pause timeouts and the control
 * interval all wait on it, so the spec moves time with advance() instead of sleeping.
 */
function fakeTime(t: import('ava').ExecutionContext): FakeClock {
  const clock = new FakeClock();
  const previous = setGlobalTimeController(new TimeController(clock));
  t.teardown(() => setGlobalTimeController(previous));
  return clock;
}

/** Turns of the event loop (no time passes on the fake clock). */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

function setup(t: import('ava').ExecutionContext, loops: LoopRunner[], config = {}) {
  const store = new StateStore({ statesDir: tmpDir(t) });
  store.register('c', new Counter());
  const control = new ControlLoop(
    store,
    resolveLaunchConfig({ timeoutForAllThreadsPause: 0.1, maxAttemptsToPauseAllThreads: 2, ...config }),
    undefined,
  );
  control.attachLoops(loops);
  return control;
}

function stepping(name: string) {
  let steps = 0;
  const loop = new EventLoopRunner(name, { step: () => void steps++ });
  return { loop, steps: () => steps };
}

/** A loop whose step never returns, so it can never reach a pause. */
function stuck(name: string): LoopRunner {
  return new EventLoopRunner(name, { step: () => new Promise(() => undefined) });
}

test.serial('tryPause pauses every loop at a step boundary and then the clock', async (t) => {
  fakeTime(t);
  const a = stepping('inference');
  const b = stepping('training');
  const control = setup(t, [a.loop, b.loop]);
  a.loop.start();
  b.loop.start();
  const logs = captureLogs();
  t.true(await control.tryPause());
  logs.stop();
  t.true(a.loop.paused && b.loop.paused);
  t.true(getGlobalTimeController().isPaused());
  const frozen = a.steps();
  await turns(50);
  t.is(a.steps(), frozen, 'no steps while paused');
  t.regex(logs.text(), /INFO.*Trying to pause\.\.\./);
  t.regex(logs.text(), /INFO.*Success to pause all loops\./);
  const resumeLogs = captureLogs();
  control.resume();
  resumeLogs.stop();
  t.regex(resumeLogs.text(), /INFO.*Resuming\.\.\./);
  t.false(getGlobalTimeController().isPaused());
  await turns(5);
  t.true(a.steps() > frozen);
  a.loop.stop();
  b.loop.stop();
});

test.serial('tryPause on a paused system returns true at once', async (t) => {
  fakeTime(t);
  const a = stepping('inference');
  const control = setup(t, [a.loop]);
  a.loop.start();
  t.true(await control.tryPause());
  const logs = captureLogs();
  t.true(await control.tryPause());
  logs.stop();
  t.regex(logs.text(), /System has already been paused\./);
  a.loop.stop();
});

test.serial(
  'tryPause gives up after the configured attempts, resumes the loops that paused, and leaves the clock running',
  async (t) => {
    const clock = fakeTime(t);
    const a = stepping('inference');
    const control = setup(t, [a.loop, stuck('training')]);
    a.loop.start();
    const logs = captureLogs();
    let outcome: boolean | undefined;
    void control.tryPause().then((ok) => (outcome = ok));
    await clock.advance(100);
    t.is(outcome, undefined, 'the second attempt is still waiting');
    t.regex(logs.text(), /Attempting retry 1 \/ 2/);
    await clock.advance(99);
    t.is(outcome, undefined, 'two attempts of 0.1 s each');
    await clock.advance(1);
    logs.stop();
    t.is(outcome, false);
    t.false(getGlobalTimeController().isPaused());
    t.false(a.loop.paused);
    const text = logs.text();
    t.regex(text, /Timeout waiting for the 'training' loop to pause after 0\.1 seconds\./);
    t.regex(text, /Failed to pause the loops in timeout 0\.1 seconds\./);
    t.regex(text, /Attempting retry 1 \/ 2 \.\.\./);
    t.regex(text, /Attempting retry 2 \/ 2 \.\.\./);
    t.regex(text, /Failed to pause\.\.\./);
    a.loop.stop();
  },
);

test.serial('a save whose pause fails stays requested and nothing is written', async (t) => {
  const clock = fakeTime(t);
  const control = setup(t, [stuck('inference')], { controlInterval: 0.01, maxUptime: 0.5 });
  control.requestSave();
  const logs = captureLogs();
  let ended = false;
  const running = control.run().then(() => (ended = true));
  await clock.advanceUntil(() => ended, 10, 10_000);
  await running;
  t.true(control.isShuttingDown && control.reason === 'maxUptime');
  t.is(clock.now() >= 500, true, 'ran until the pamiq uptime passed 0.5 s');
  let settled = false;
  void control.settled().then(() => (settled = true));
  await clock.advanceUntil(() => settled, 10, 10_000); // the last attempt's pause timeouts
  logs.stop();
  t.deepEqual(control.saved, []);
  t.regex(logs.text(), /The save stays requested and is retried on the next tick\./);
});

test.serial('the pause and resume around each save log at DEBUG, not at the default INFO level', async (t) => {
  const previousLevel = getLogLevel();
  t.teardown(() => setLogLevel(previousLevel));
  for (const level of ['info', 'debug'] as const) {
    const clock = fakeTime(t);
    const a = stepping('inference');
    let once = true;
    const saveOnce = () => {
      const first = once;
      once = false;
      return first;
    };
    const control = setup(t, [a.loop], { controlInterval: 0.01, maxUptime: 0.3, saveStateCondition: saveOnce });
    a.loop.start();
    setLogLevel(level);
    const logs = captureLogs();
    let ended = false;
    const running = control.run().then(() => (ended = true));
    await clock.advanceUntil(() => ended, 10, 10_000);
    await running;
    await control.settled();
    logs.stop();
    a.loop.stop();
    const text = logs.text();
    t.is(control.saved.length, 1, level);
    t.regex(text, /INFO.*Saved a state to/, level);
    if (level === 'info') {
      t.notRegex(text, /Trying to pause|Success to pause|Resuming\.\.\./, 'nothing of the routine pause at INFO');
    } else {
      t.regex(text, /DEBUG.*Trying to pause\.\.\./);
      t.regex(text, /DEBUG.*Success to pause all loops\./);
      t.regex(text, /DEBUG.*Resuming\.\.\./);
    }
  }
});
