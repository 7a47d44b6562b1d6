import test from 'ava';
import { ControlLoop } from '../../src/launch/control.js';
import { resolveLaunchConfig } from '../../src/launch/config.js';
import { EventLoopRunner, type LoopRunner } from '../../src/launch/loop.js';
import { StateStore } from '../../src/state/store.js';
import { captureLogs, getLogLevel, setLogLevel } from '../../src/log.js';
import { TimeController, getGlobalTimeController, setGlobalTimeController } from '../../src/time/index.js';
import { Counter } from '../helpers/components.js';
import { tmpDir } from '../helpers/tmp.js';

function setup(t: import('ava').ExecutionContext, loops: LoopRunner[], config = {}) {
  const previous = setGlobalTimeController(new TimeController());
  t.teardown(() => setGlobalTimeController(previous));
  const store = new StateStore({ statesDir: tmpDir(t) });
  store.register('c', new Counter());
  const control = new ControlLoop(store, resolveLaunchConfig({ timeoutForAllThreadsPause: 0.1, maxAttemptsToPauseAllThreads: 2, ...config }), undefined);
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
  await new Promise((r) => setTimeout(r, 30));
  t.is(a.steps(), frozen, 'no steps while paused');
  t.regex(logs.text(), /INFO.*Trying to pause\.\.\./);
  t.regex(logs.text(), /INFO.*Success to pause all loops\./);
  const resumeLogs = captureLogs();
  control.resume();
  resumeLogs.stop();
  t.regex(resumeLogs.text(), /INFO.*Resuming\.\.\./);
  t.false(getGlobalTimeController().isPaused());
  await new Promise((r) => setTimeout(r, 30));
  t.true(a.steps() > frozen);
  a.loop.stop();
  b.loop.stop();
});

test.serial('tryPause on a paused system returns true at once', async (t) => {
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

test.serial('tryPause gives up after the configured attempts, resumes the loops that paused, and leaves the clock running', async (t) => {
  const a = stepping('inference');
  const control = setup(t, [a.loop, stuck('training')]);
  a.loop.start();
  const logs = captureLogs();
  const begin = performance.now();
  t.false(await control.tryPause());
  const elapsed = performance.now() - begin;
  logs.stop();
  t.true(elapsed >= 190 && elapsed < 2000, `${elapsed} ms`);
  t.false(getGlobalTimeController().isPaused());
  t.false(a.loop.paused);
  const text = logs.text();
  t.regex(text, /Timeout waiting for the 'training' loop to pause after 0\.1 seconds\./);
  t.regex(text, /Failed to pause the loops in timeout 0\.1 seconds\./);
  t.regex(text, /Attempting retry 1 \/ 2 \.\.\./);
  t.regex(text, /Attempting retry 2 \/ 2 \.\.\./);
  t.regex(text, /Failed to pause\.\.\./);
  a.loop.stop();
});

test.serial('a save whose pause fails stays requested and nothing is written', async (t) => {
  const control = setup(t, [stuck('inference')], { controlInterval: 0.01, maxUptime: 0.5 });
  control.requestSave();
  const logs = captureLogs();
  await control.run();
  await control.settled();
  logs.stop();
  t.deepEqual(control.saved, []);
  t.regex(logs.text(), /The save stays requested and is retried on the next tick\./);
});

test.serial('the pause and resume around each save log at DEBUG, not at the default INFO level', async (t) => {
  const previousLevel = getLogLevel();
  t.teardown(() => setLogLevel(previousLevel));
  for (const level of ['info', 'debug'] as const) {
    const a = stepping('inference');
    let once = true;
    const control = setup(t, [a.loop], { controlInterval: 0.01, maxUptime: 0.3, saveStateCondition: () => once && !(once = false) });
    a.loop.start();
    setLogLevel(level);
    const logs = captureLogs();
    await control.run();
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
