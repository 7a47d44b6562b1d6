import test from 'ava';
import { LaunchConfigError, resolveLaunchConfig } from '../../src/launch/config.js';
import { PeriodicSaveCondition } from '../../src/state/conditions.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from '../../src/interaction/agent.js';
import { Environment } from '../../src/interaction/environment.js';
import { Interaction } from '../../src/interaction/interaction.js';
import { launch } from '../../src/launch/index.js';
import { tmpDir } from '../helpers/tmp.js';

test('the resolved launch config is frozen', (t) => {
  const config = resolveLaunchConfig({});
  t.true(Object.isFrozen(config));
  t.is(config.timeoutForAllThreadsPause, 60);
  t.is(config.maxAttemptsToPauseAllThreads, 3);
  t.is(config.maxUptime, Infinity);
  t.is(config.timeScale, 1);
  t.is(config.logTickTimeStatisticsInterval, 60);
  t.is(config.stateNameFormat, '%Y-%m-%d_%H-%M-%S,%f.state');
});

test('collects every problem of a config into one error', (t) => {
  const err = t.throws(
    () =>
      resolveLaunchConfig({
        timeoutForAllThreadsPause: 0,
        maxAttemptsToPauseAllThreads: 0,
        logTickTimeStatisticsInterval: -1,
        timeScale: Number.NaN,
        stateNameFormat: '.hidden-%Y',
        saveStateCondition: 5 as never,
        statesKeeper: {} as never,
      }),
    { instanceOf: LaunchConfigError },
  );
  t.is(err!.problems.length, 7, err!.message);
});

test('accepts a PeriodicSaveCondition instance and a plain function as save conditions', (t) => {
  t.is(typeof resolveLaunchConfig({ saveStateCondition: new PeriodicSaveCondition(1) }).saveStateCondition, 'function');
  t.is(typeof resolveLaunchConfig({ saveStateCondition: () => false }).saveStateCondition, 'function');
});

test('a statesDir that is a file, or lies under a file, is a config problem found up front', (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'not-a-dir');
  writeFileSync(file, 'x');
  const onFile = t.throws(() => resolveLaunchConfig({ statesDir: file }), { instanceOf: LaunchConfigError });
  t.deepEqual(onFile!.problems, [`statesDir '${file}' exists and is not a directory`]);
  const under = t.throws(() => resolveLaunchConfig({ statesDir: join(file, 'states') }), {
    instanceOf: LaunchConfigError,
  });
  t.deepEqual(under!.problems, [`statesDir '${join(file, 'states')}' cannot be created: '${file}' is not a directory`]);
  t.is(
    resolveLaunchConfig({ statesDir: join(dir, 'new', 'states') }).statesDir,
    join(dir, 'new', 'states'),
    'a directory yet to be made is fine',
  );
});

test('launch() with a statesDir that is a file rejects with the LaunchConfigError before anything starts', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'states');
  writeFileSync(file, 'x');
  let steps = 0;
  let setups = 0;
  class A extends Agent<number, number> {
    step(o: number) {
      steps++;
      return o;
    }
  }
  class E extends Environment<number, number> {
    override setup() {
      setups++;
    }
    observe() {
      return 0;
    }
    affect() {}
  }
  const err = await t.throwsAsync(
    launch({
      interaction: new Interaction(new A(), new E()),
      config: { statesDir: file, handleSignals: false, maxUptime: 1 },
    }),
    { instanceOf: LaunchConfigError },
  );
  t.regex(err!.message, /statesDir '.*states' exists and is not a directory/);
  t.notRegex(err!.message, /EEXIST/);
  t.is(readFileSync(file, 'utf8'), 'x', 'the file is untouched');
  t.is(steps + setups, 0, 'nothing started');
});
