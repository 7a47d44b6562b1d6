/**
 * A new states directory is durable: the parent of every directory ensureStatesDir creates is fsynced
 * (observed with strace on the real syscalls; skipped, saying why, where strace cannot trace).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../helpers/tmp.js';

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
    const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=openat,fsync', '-o', log, process.execPath, '--import=tsx', '-e', script], {
      encoding: 'utf8',
    });
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
