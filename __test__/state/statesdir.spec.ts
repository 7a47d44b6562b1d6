/**
 * One resolution of a states directory for the whole library (resolveStatesDir), and a new states
 * directory is durable: the parent of every directory ensureStatesDir creates is fsynced (observed with
 * strace on the real syscalls; skipped, saying why, where strace cannot trace).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LaunchConfigError, resolveLaunchConfig } from '../../src/launch/config.js';
import { LatestStatesKeeper, StatesKeeper } from '../../src/state/keeper.js';
import { StatesDirLock } from '../../src/state/lock.js';
import { DEFAULT_STATES_DIR, resolveStatesDir } from '../../src/state/statesdir.js';
import { StateStore } from '../../src/state/store.js';
import { tmpDir } from '../helpers/tmp.js';

test('resolveStatesDir: a relative path against the working directory, an absolute one as it is', (t) => {
  t.is(resolveStatesDir('runs/states'), join(process.cwd(), 'runs', 'states'));
  const abs = tmpDir(t);
  t.is(resolveStatesDir(abs), abs);
  t.is(resolveStatesDir(`${abs}/a/../b/`), join(abs, 'b'));
});

test('resolveStatesDir refuses an empty or non-string statesDir, naming it', (t) => {
  t.throws(() => resolveStatesDir(''), {
    instanceOf: TypeError,
    message: 'statesDir must be a non-empty path, got an empty string',
  });
  t.throws(() => resolveStatesDir(undefined as unknown as string), {
    instanceOf: TypeError,
    message: 'statesDir must be a non-empty path, got undefined',
  });
  t.throws(() => new StateStore({ statesDir: '' }), {
    instanceOf: TypeError,
    message: /statesDir must be a non-empty path/,
  });
  const err = t.throws(() => resolveLaunchConfig({ statesDir: '' }), { instanceOf: LaunchConfigError });
  t.deepEqual(err.problems, ['statesDir must be a non-empty path, got an empty string']);
});

// Synchronous from chdir to chdir back, so that no other test of this file runs in between.
test('the store, the keepers, the lock and launch config all name a relative states directory alike', (t) => {
  const cwd = process.cwd();
  const root = tmpDir(t);
  process.chdir(root);
  let lock: StatesDirLock | undefined;
  try {
    const here = process.cwd();
    const expected = join(here, 'states');
    t.is(resolveLaunchConfig({}).statesDir, expected, `the default, ${DEFAULT_STATES_DIR}`);
    t.is(resolveLaunchConfig({ statesDir: 'states' }).statesDir, expected);
    t.is(new StateStore({ statesDir: 'states' }).statesDir, expected);
    t.is(new LatestStatesKeeper({ statesDir: './states/', maxKeep: 1 }).statesDir, expected);
    const custom = new (class extends StatesKeeper {
      async selectRemovalStates(): Promise<string[]> {
        return [];
      }
    })();
    custom.useStatesDir('states');
    t.is(custom.keptStatesDir(), expected);
    lock = StatesDirLock.acquire('states');
    t.is(dirname(lock.path), expected);
    const keeper = new LatestStatesKeeper({ statesDir: 'elsewhere', maxKeep: 1 });
    const err = t.throws(() => resolveLaunchConfig({ statesDir: 'states', statesKeeper: keeper }), {
      instanceOf: LaunchConfigError,
    });
    t.deepEqual(err.problems, [
      `statesKeeper watches '${join(here, 'elsewhere')}' but states are written to '${expected}'`,
    ]);
  } finally {
    lock?.release();
    process.chdir(cwd);
  }
});

const module = new URL('../../src/state/statesdir.ts', import.meta.url).href;
const probe = spawnSync('strace', ['-qq', '-e', 'trace=none', 'true'], { encoding: 'utf8' });
const straceWorks = probe.status === 0;

(straceWorks ? test : test.skip)(
  `creating a states directory fsyncs the parent of every directory created${straceWorks ? '' : ' (strace unavailable or not permitted here)'}`,
  (t) => {
    const root = tmpDir(t);
    const dir = join(root, 'a', 'states');
    const log = join(tmpDir(t), 'strace.log');
    const script = `const { ensureStatesDir } = await import(${JSON.stringify(module)}); ensureStatesDir(${JSON.stringify(dir)});`;
    const r = spawnSync(
      'strace',
      ['-f', '-qq', '-e', 'trace=openat,fsync', '-o', log, process.execPath, '--import=tsx', '-e', script],
      {
        encoding: 'utf8',
      },
    );
    t.is(r.status, 0, r.stderr);
    t.true(existsSync(dir));
    const lines = readFileSync(log, 'utf8').split('\n');
    const fsynced = (path: string) => {
      const fds = lines
        .map((l) => new RegExp(`openat\\(AT_FDCWD, "${path}", [^)]*\\) = (\\d+)`).exec(l)?.[1])
        .filter((fd): fd is string => fd !== undefined);
      return fds.some((fd) => lines.some((l) => new RegExp(`fsync\\(${fd}\\)\\s+= 0`).test(l)));
    };
    t.true(fsynced(root), 'the existing parent of the first created directory');
    t.true(fsynced(join(root, 'a')), 'the created parent of the states directory');
    t.false(fsynced(dir), 'the states directory itself has nothing new in it yet');
  },
);
