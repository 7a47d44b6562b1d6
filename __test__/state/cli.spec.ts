import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, join } from 'node:path';
import { formatNs } from '../../src/cli/format.js';
import { StateStore } from '../../src/state/store.js';
import { Counter, EpisodeStats } from '../helpers/components.js';
import { holdLockInChild } from '../helpers/lock-holder.js';
import { sealManifest } from '../helpers/seal.js';
import { tmpDir } from '../helpers/tmp.js';

const cli = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const pamiq = (...args: string[]) => spawnSync(process.execPath, ['--import=tsx', cli, ...args], { encoding: 'utf8' });

async function makeStates(dir: string, n: number) {
  const store = new StateStore({ statesDir: dir });
  store.register('a', new Counter());
  store.register('agent', new EpisodeStats());
  const paths: string[] = [];
  for (let i = 0; i < n; i++) paths.push(await store.saveState());
  return paths;
}

test('pamiq states list shows every state with what it checked: the manifest', async (t) => {
  const dir = tmpDir(t);
  const paths = await makeStates(dir, 2);
  writeFileSync(join(paths[0]!, 'manifest.json'), 'not json');
  const r = pamiq('states', 'list', dir);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /NAME\s+CREATED \(UTC\)\s+SIZE\s+FILES\s+STATUS/);
  t.regex(r.stdout, /\.state\s+\d{4}-\d{2}-\d{2}T[\d:.]+Z\s+[\d.]+ B\s+2\s+manifest ok/);
  t.notRegex(r.stdout, /\svalid\b/);
  t.regex(r.stdout, /invalid: .*manifest/i);
  t.regex(r.stdout, /files not hashed: use --verify/);
});

test('pamiq states list shows a flipped byte as manifest ok, and --verify as CORRUPT with exit 1', async (t) => {
  const dir = tmpDir(t);
  const paths = await makeStates(dir, 2);
  const file = join(paths[1]!, 'agent', 'episode_stats.txt');
  writeFileSync(file, readFileSync(file, 'utf8').replace('0', '1'));
  const plain = pamiq('states', 'list', dir);
  t.is(plain.status, 0, plain.stderr);
  t.is(plain.stdout.match(/manifest ok/g)?.length, 2, plain.stdout);
  const checked = pamiq('states', 'list', dir, '--verify');
  t.is(checked.status, 1, checked.stderr);
  t.regex(checked.stdout, /\s+verified\n/);
  t.regex(checked.stdout, /CORRUPT: .*agent\/episode_stats\.txt: checksum/);
});

test('pamiq states list and verify on a missing path say it does not exist and exit non-zero', (t) => {
  const missing = join(tmpDir(t), 'nope');
  for (const cmd of ['list', 'verify', 'prune'] as const) {
    const r = cmd === 'prune' ? pamiq('states', cmd, missing, '--keep', '1') : pamiq('states', cmd, missing);
    t.is(r.status, 2, `${cmd}: ${r.stdout}`);
    t.regex(r.stderr, new RegExp(`pamiq: '${missing}' does not exist`), cmd);
  }
  const file = join(tmpDir(t), 'file');
  writeFileSync(file, 'x');
  const onFile = pamiq('states', 'list', file);
  t.is(onFile.status, 2);
  t.regex(onFile.stderr, /is not a directory/);
});

test('pamiq states verify exits non-zero and names the file of a corrupt state', async (t) => {
  const dir = tmpDir(t);
  const paths = await makeStates(dir, 2);
  t.is(pamiq('states', 'verify', dir).status, 0);
  const file = join(paths[1]!, 'agent', 'episode_stats.txt');
  writeFileSync(file, readFileSync(file, 'utf8').replace('0', '1'));
  const all = pamiq('states', 'verify', dir);
  t.is(all.status, 1);
  t.regex(all.stdout, /BAD .*agent\/episode_stats\.txt: checksum/);
  t.regex(all.stdout, /1 verified, 1 bad/);
  const one = pamiq('states', 'verify', paths[0]!);
  t.is(one.status, 0);
});

test('pamiq states inspect lists components and files', async (t) => {
  const dir = tmpDir(t);
  const [path] = await makeStates(dir, 1);
  const r = pamiq('states', 'inspect', path!);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /components\s+a, agent/);
  t.regex(r.stdout, /a\/value\.msgpack\s+\d+ B\s+[0-9a-f]{16}/);
  t.regex(r.stdout, /status\s+verified/);
});

test('pamiq states prune keeps the newest N, and --dry-run removes nothing', async (t) => {
  const dir = tmpDir(t);
  const paths = await makeStates(dir, 4);
  const dry = pamiq('states', 'prune', dir, '--keep', '2', '--dry-run');
  t.is(dry.status, 0, dry.stderr);
  t.regex(dry.stdout, /2 state\(s\) would be removed/);
  t.is(readdirSync(dir).length, 4);
  const real = pamiq('states', 'prune', dir, '--keep', '2');
  t.is(real.status, 0, real.stderr);
  for (const p of paths.slice(0, 2)) {
    const mentions = (real.stdout + real.stderr).split(p).length - 1;
    t.is(mentions, 1, `each removal printed once: ${real.stdout}${real.stderr}`);
  }
  t.false(existsSync(paths[0]!));
  t.false(existsSync(paths[1]!));
  t.true(existsSync(paths[3]!));
});

test('pamiq rejects a bad --keep with a clear message', (t) => {
  const r = pamiq('states', 'prune', '.', '--keep', '0');
  t.not(r.status, 0);
  t.regex(r.stderr, /--keep.*expected an integer ≥ 1/);
});

test('pamiq states prune refuses while a running system holds the directory', async (t) => {
  const dir = tmpDir(t);
  await makeStates(dir, 3);
  const holderPid = await holdLockInChild(t, dir);
  const r = pamiq('states', 'prune', dir, '--keep', '1');
  t.is(r.status, 2);
  t.regex(r.stderr, new RegExp(`in use by process ${holderPid}`));
  t.is(readdirSync(dir).filter((n) => n.endsWith('.state')).length, 3, 'nothing removed');
});

test('one state dated outside the Date range is reported; list and inspect go on with the others', async (t) => {
  const dir = tmpDir(t);
  const paths = await makeStates(dir, 2);
  const manifestPath = join(paths[0]!, 'manifest.json');
  const far = '99999999999999999999999999';
  // A well-formed (sealed) manifest whose only oddity is the date.
  writeFileSync(manifestPath, sealManifest({ ...JSON.parse(readFileSync(manifestPath, 'utf8')), createdAtNs: far }));
  const r = pamiq('states', 'list', dir);
  t.is(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  const good = lines.find((l) => l.includes(basename(paths[1]!)));
  const bad = lines.find((l) => l.includes(basename(paths[0]!)));
  t.regex(good ?? '', /\d{4}-\d{2}-\d{2}T[\d:.]+Z.*manifest ok/);
  t.truthy(bad, 'the bad state is listed');
  const i = pamiq('states', 'inspect', paths[0]!);
  t.not(i.status, 2, i.stderr);
  t.regex(i.stdout, /created\s+\S+/);
  t.is(pamiq('states', 'inspect', paths[1]!).status, 0);
});

test('formatNs never throws: out-of-range and malformed times are shown as such', (t) => {
  t.is(formatNs('1764075695123456789'), '2025-11-25T13:01:35.123456Z');
  t.is(formatNs('99999999999999999999999999'), '99999999999999999999999999 ns (out of date range)');
  t.is(formatNs('12x'), '12x (not a time)');
  t.is(formatNs(undefined), '-');
});
