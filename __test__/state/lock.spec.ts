/**
 * The states-directory lock (src/state/lock.ts), on the active backend (run with PAMIQ_BACKEND=native
 * and =ts): one holder, gone holders taken over, unjudgeable ones explained, no symlink followed.
 */
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { engine } from '../../src/backend/select.js';
import { CLAIM_PREFIX, StatesDirLock } from '../../src/state/lock.js';
import { StatesDirLockedError } from '../../src/state/errors.js';
import { captureLogs } from '../../src/log.js';
import { holdLockInChild } from '../helpers/lock-holder.js';
import { tmpDir } from '../helpers/tmp.js';
import { runLockRace } from '../reliability/lock-race.js';

const claims = (dir: string) => readdirSync(dir).filter((n) => n.startsWith(CLAIM_PREFIX));
const linux = process.platform === 'linux';

function identity(): { bootId?: string; pidNs?: string } {
  if (!linux) return {};
  return {
    bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
    pidNs: readlinkSync('/proc/self/ns/pid'),
  };
}

test('a second process cannot take a states directory in use and is told the holder’s pid', async (t) => {
  const dir = tmpDir(t);
  const holderPid = await holdLockInChild(t, dir);
  const err = t.throws(() => StatesDirLock.acquire(dir), { instanceOf: StatesDirLockedError });
  t.is(err!.holderPid, holderPid);
  t.regex(err!.message, new RegExp(`in use by process ${holderPid}`));
  t.is(claims(dir).length, 1, 'the refused claim was withdrawn');
});

test('the lock of a killed process is taken over with a warning, and release removes the claim', async (t) => {
  const dir = tmpDir(t);
  const holderPid = await holdLockInChild(t, dir, { kill: true });
  const logs = captureLogs();
  const lock = StatesDirLock.acquire(dir);
  logs.stop();
  t.regex(
    logs.text(),
    new RegExp(`Taking over the lock of '.*' left by process ${holderPid}, which .*no longer running`),
  );
  t.deepEqual(claims(dir), [lock.path.slice(dir.length + 1)]);
  lock.release();
  lock.release();
  t.deepEqual(claims(dir), []);
});

test('one process cannot hold the same states directory twice', (t) => {
  const dir = tmpDir(t);
  const lock = StatesDirLock.acquire(dir);
  t.teardown(() => lock.release());
  const err = t.throws(() => StatesDirLock.acquire(dir), { instanceOf: StatesDirLockedError });
  t.is(err!.holderPid, process.pid);
});

(linux ? test : test.skip)(
  'a claim whose pid now belongs to another live process is taken over (pid reuse is told by /proc: Linux only)',
  async (t) => {
    const dir = tmpDir(t);
    // A live process that is not the claim's writer: the claim names its pid with another start time.
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    t.teardown(() => other.kill('SIGKILL'));
    await new Promise((r) => other.once('spawn', r));
    const claim = { pid: other.pid, host: hostname(), since: 'earlier', osLock: false, ...identity(), startTicks: '1' };
    writeFileSync(join(dir, `${CLAIM_PREFIX}000000000000001-${other.pid}-reused`), JSON.stringify(claim));
    // A claim written under an OS lock whose lock is free: its holder is gone whatever its pid is now.
    const osClaim = {
      pid: other.pid,
      host: hostname(),
      since: 'earlier',
      osLock: true,
      ...identity(),
      startTicks: '1',
    };
    writeFileSync(join(dir, `${CLAIM_PREFIX}000000000000002-${other.pid}-os`), JSON.stringify(osClaim));
    const logs = captureLogs();
    const lock = StatesDirLock.acquire(dir);
    logs.stop();
    t.regex(logs.text(), /its pid now belongs to another process|released its OS lock/);
    t.deepEqual(claims(dir), [lock.path.slice(dir.length + 1)]);
    lock.release();
  },
);

test('a claim from another host is never taken over, and the error says which file to delete', (t) => {
  const dir = tmpDir(t);
  const name = `${CLAIM_PREFIX}000000000000001-4242-elsewhere`;
  writeFileSync(
    join(dir, name),
    JSON.stringify({ pid: 4242, host: 'some-other-host', since: 'earlier', osLock: false }),
  );
  const err = t.throws(() => StatesDirLock.acquire(dir), { instanceOf: StatesDirLockedError });
  t.is(err!.holderPid, 4242);
  t.true(err!.message.includes("host 'some-other-host'"), err!.message);
  t.true(err!.message.includes(`delete '${join(dir, name)}'`), err!.message);
  t.deepEqual(claims(dir), [name]);
});

test('planted symlinks and FIFOs in the lock names are never followed or opened', (t) => {
  const dir = tmpDir(t);
  const outside = join(tmpDir(t), 'precious.txt');
  writeFileSync(outside, 'keep me');
  // The names an earlier lock wrote through, a symlink under the claim prefix, and a FIFO there.
  symlinkSync(outside, join(dir, '.pamiq.lock'));
  symlinkSync(outside, join(dir, `.pamiq.lock.${process.pid}`));
  symlinkSync(outside, join(dir, `${CLAIM_PREFIX}000000000000001-1-link`));
  mkfifoOrSkip(join(dir, `${CLAIM_PREFIX}000000000000002-1-fifo`));
  const logs = captureLogs();
  const lock = StatesDirLock.acquire(dir);
  logs.stop();
  lock.release();
  t.is(readFileSync(outside, 'utf8'), 'keep me');
  t.regex(logs.text(), /not a lock claim/);
});

function mkfifoOrSkip(path: string): void {
  if (spawnSync('mkfifo', [path]).status !== 0) writeFileSync(path, 'not json');
}

test('createLockClaim refuses an existing name, even a symlink to a file outside', (t) => {
  const dir = tmpDir(t);
  const outside = join(tmpDir(t), 'precious.txt');
  writeFileSync(outside, 'keep me');
  const path = join(dir, '.pamiq-lock-tmp.x');
  symlinkSync(outside, path);
  const err = t.throws(() => engine().createLockClaim(path, '{}'));
  t.is((err as { code?: string }).code, 'EEXIST');
  t.is(readFileSync(outside, 'utf8'), 'keep me');
  t.is(engine().probeLockClaim(path), 'not-a-file');
  t.is(engine().probeLockClaim(join(dir, 'absent')), 'missing');
});

test('the claim is held under an OS lock on the native backend and probed as such', (t) => {
  const dir = tmpDir(t);
  const path = join(dir, 'claim');
  const claim = engine().createLockClaim(path, '{"a":1}');
  t.is(readFileSync(path, 'utf8'), '{"a":1}');
  if (engine().name === 'native') {
    t.true(claim.osLock);
    t.is(engine().probeLockClaim(path), 'held');
    claim.release();
    t.is(engine().probeLockClaim(path), 'free');
  } else {
    t.false(claim.osLock);
    t.is(engine().probeLockClaim(path), 'unknown');
    claim.release();
  }
  t.true(existsSync(path), 'release leaves the name to the caller');
});

test.serial(
  '20 simultaneous pairs of processes (native, twin and mixed; some over a stale claim): never two holders',
  async (t) => {
    t.timeout(180_000);
    const r = await runLockRace(20, engine().name === 'native');
    t.log(JSON.stringify({ ...r, byPairing: undefined }));
    t.is(r.doubleHolders, 0);
    t.is(r.leftoverClaims, 0);
    t.is(r.oneHolder + r.noHolder, 20);
    t.true(r.oneHolder > 0, 'someone gets the lock');
  },
);

test('a lock the caller drops is still held: collecting it does not release the OS lock', async (t) => {
  const dir = tmpDir(t);
  // The child takes the lock without keeping a reference, collects garbage, then reports.
  const lockModule = new URL('../../src/state/lock.ts', import.meta.url).href;
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      '--import=tsx',
      '-e',
      `const { StatesDirLock } = await import(${JSON.stringify(lockModule)});
       StatesDirLock.acquire(${JSON.stringify(dir)});
       for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
       console.log('collected'); setTimeout(() => {}, 60000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.teardown(() => child.kill('SIGKILL'));
  await new Promise<void>((resolve) => child.stdout!.on('data', (d) => String(d).includes('collected') && resolve()));
  const err = t.throws(() => StatesDirLock.acquire(dir), { instanceOf: StatesDirLockedError });
  t.is(err!.holderPid, child.pid!);
});
