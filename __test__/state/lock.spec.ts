import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StatesDirLock } from '../../src/state/lock.js';
import { StatesDirLockedError } from '../../src/state/errors.js';
import { captureLogs } from '../../src/log.js';
import { tmpDir } from '../helpers/tmp.js';

test('a second process cannot take a states directory in use and is told the holder’s pid', async (t) => {
  const dir = tmpDir(t);
  const holder = spawn(
    process.execPath,
    [
      '--import=tsx',
      '-e',
      `const { StatesDirLock } = await import(${JSON.stringify(new URL('../../src/state/lock.ts', import.meta.url).href)});
       StatesDirLock.acquire(${JSON.stringify(dir)}); console.log('locked'); setTimeout(() => {}, 60000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.teardown(() => holder.kill('SIGKILL'));
  await new Promise<void>((resolve) => holder.stdout!.on('data', (d) => String(d).includes('locked') && resolve()));
  const err = t.throws(() => StatesDirLock.acquire(dir), { instanceOf: StatesDirLockedError });
  t.is(err!.holderPid, holder.pid!);
  t.regex(err!.message, new RegExp(`in use by process ${holder.pid}`));
});

test('a lock left by a dead process is taken over with a warning', (t) => {
  const dir = tmpDir(t);
  const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']);
  writeFileSync(join(dir, '.pamiq.lock'), JSON.stringify({ pid: dead.pid, host: hostname(), since: 'earlier' }));
  const logs = captureLogs();
  const lock = StatesDirLock.acquire(dir);
  logs.stop();
  t.regex(logs.text(), new RegExp(`left by process ${dead.pid}, which is no longer running`));
  lock.release();
  t.false(existsSync(join(dir, '.pamiq.lock')));
});

test('release is idempotent and leaves a lock taken over by someone else alone', (t) => {
  const dir = tmpDir(t);
  const lock = StatesDirLock.acquire(dir);
  writeFileSync(join(dir, '.pamiq.lock'), JSON.stringify({ pid: 1, host: hostname(), since: 'x' }));
  lock.release();
  lock.release();
  t.true(existsSync(join(dir, '.pamiq.lock')));
});
