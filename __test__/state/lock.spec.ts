import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StatesDirLock } from '../../src/state/lock.js';
import { StatesDirLockedError } from '../../src/state/errors.js';
import { captureLogs } from '../../src/log.js';
import { holdLockInChild } from '../helpers/lock-holder.js';
import { tmpDir } from '../helpers/tmp.js';

test('a second process cannot take a states directory in use and is told the holder’s pid', async (t) => {
  const dir = tmpDir(t);
  const holderPid = await holdLockInChild(t, dir);
  const err = t.throws(() => StatesDirLock.acquire(dir), { instanceOf: StatesDirLockedError });
  t.is(err!.holderPid, holderPid);
  t.regex(err!.message, new RegExp(`in use by process ${holderPid}`));
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
