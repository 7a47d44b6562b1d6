import test from 'ava';
import { LaunchConfigError, resolveLaunchConfig } from '../../src/launch/config.js';
import { PeriodicSaveCondition } from '../../src/state/conditions.js';

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
