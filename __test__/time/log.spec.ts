import test from 'ava';
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
