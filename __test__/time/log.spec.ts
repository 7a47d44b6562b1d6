import test from 'ava';
import { spawnSync } from 'node:child_process';
import { captureLogs, getLogLevel, getLogger, setLogLevel } from '../../src/log.js';

test.serial('component loggers write human-readable lines tagged with the component', (t) => {
  const logs = captureLogs();
  getLogger('spec.Component').info('hello %s', 'world');
  logs.stop();
  t.is(logs.lines.length, 1);
  t.regex(logs.lines[0]!, /INFO: \[spec\.Component\] hello world\n$/);
});

test.serial('the same component name returns the same logger', (t) => {
  t.is(getLogger('spec.Same'), getLogger('spec.Same'));
});

test.serial('setLogLevel applies to existing component loggers and rejects unknown levels', (t) => {
  const logger = getLogger('spec.Level');
  const before = getLogLevel();
  t.teardown(() => setLogLevel(before));
  setLogLevel('error');
  const logs = captureLogs();
  logger.warn('hidden');
  logger.error('shown');
  logs.stop();
  t.is(logs.lines.length, 1);
  t.throws(() => setLogLevel('loud'), { instanceOf: RangeError });
});

test('PAMIQ_LOG_LEVEL sets the level at start-up; an unknown value warns and keeps info', (t) => {
  const log = new URL('../../src/log.ts', import.meta.url).href;
  const level = (value: string) =>
    spawnSync(
      process.execPath,
      [
        '--import=tsx',
        '-e',
        `const m = await import(${JSON.stringify(log)}); m.getLogger('x').debug('dbg'); console.log(m.getLogLevel());`,
      ],
      { encoding: 'utf8', env: { ...process.env, PAMIQ_LOG_LEVEL: value, PAMIQ_LOG_FORMAT: 'pretty' } },
    );
  const debug = level('debug');
  t.is(debug.stdout.trim(), 'debug', debug.stderr);
  t.regex(debug.stderr, /DEBUG.*\[x\] dbg/);
  t.is(level('warn').stdout.trim(), 'warn');
  const bad = level('loud');
  t.is(bad.stdout.trim(), 'info');
  t.regex(bad.stderr, /PAMIQ_LOG_LEVEL='loud' is not one of .*; using 'info'/);
});
