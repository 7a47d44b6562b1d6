/**
 * Log formats: pino's own JSON (one object per line) on request or when the destination is not a
 * terminal, pretty lines through the optional pino-pretty, and an application's own pino logger.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { getLogFormat, getLogger, prettyAvailable, setLogDestination, setLogFormat, useLogger } from '../../src/log.js';

function collect() {
  const lines: string[] = [];
  return { lines, dest: { write: (l: string) => lines.push(l) } };
}

test.serial('json: one JSON object per line with level, time, component and msg', (t) => {
  const { lines, dest } = collect();
  const previous = setLogDestination(dest);
  setLogFormat('json');
  t.teardown(() => {
    setLogFormat('auto');
    setLogDestination(previous === process.stderr ? undefined : previous);
  });
  getLogger('spec.json').warn('disk %s', 'slow');
  t.is(lines.length, 1);
  t.true(lines[0]!.endsWith('\n'));
  const obj = JSON.parse(lines[0]!);
  t.like(obj, { level: 40, component: 'spec.json', msg: 'disk slow' });
  t.is(typeof obj.time, 'number');
  t.is(getLogFormat(), 'json');
  t.throws(() => setLogFormat('xml' as never), { instanceOf: RangeError, message: /unknown log format 'xml'/ });
});

test.serial('pretty: human-readable lines when pino-pretty is installed', (t) => {
  if (!prettyAvailable) {
    t.fail('pino-pretty (optional dependency) is expected in the development install');
    return;
  }
  const { lines, dest } = collect();
  const previous = setLogDestination(dest);
  setLogFormat('pretty');
  t.teardown(() => {
    setLogFormat('auto');
    setLogDestination(previous === process.stderr ? undefined : previous);
  });
  getLogger('spec.pretty').info('hello');
  t.regex(lines[0]!, /INFO: \[spec\.pretty\] hello\n$/);
});

test.serial("useLogger hands every line to the application's pino logger, same level and component", (t) => {
  const out: string[] = [];
  const app = pino(
    { level: 'trace', base: { app: 'mine' } },
    new Writable({
      write(chunk, _enc, cb) {
        out.push(String(chunk));
        cb();
      },
    }),
  );
  useLogger(app);
  t.teardown(() => useLogger());
  getLogger('spec.user').error({ code: 7 }, 'broke');
  useLogger();
  return new Promise<void>((resolve) =>
    setImmediate(() => {
      t.is(out.length, 1);
      t.like(JSON.parse(out[0]!), { app: 'mine', level: 50, component: 'spec.user', code: 7, msg: 'broke' });
      resolve();
    }),
  );
});

test('PAMIQ_LOG_FORMAT=json, and auto on a non-terminal stderr, write JSON lines', (t) => {
  const script = "import('./src/log.ts').then(m => m.getLogger('child').info('from child'))";
  for (const env of [{ PAMIQ_LOG_FORMAT: 'json' }, { PAMIQ_LOG_FORMAT: '' }]) {
    const r = spawnSync(process.execPath, ['--import=tsx', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    t.is(r.status, 0, r.stderr);
    t.like(JSON.parse(r.stderr.trim()), { level: 30, component: 'child', msg: 'from child' });
  }
  const bad = spawnSync(process.execPath, ['--import=tsx', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, PAMIQ_LOG_FORMAT: 'xml' },
  });
  t.regex(bad.stderr, /PAMIQ_LOG_FORMAT='xml' is not one of auto, json, pretty; using 'auto'/);
});
