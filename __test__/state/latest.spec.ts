import test from 'ava';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateStore } from '../../src/state/store.js';
import { latestState } from '../../src/state/scan.js';
import { captureLogs } from '../../src/log.js';
import { Counter } from '../helpers/components.js';
import { tmpDir } from '../helpers/tmp.js';

async function makeStates(dir: string, n: number) {
  const store = new StateStore({ statesDir: dir });
  store.register('a', new Counter());
  const paths: string[] = [];
  for (let i = 0; i < n; i++) paths.push(await store.saveState());
  return paths;
}

test('finds the newest valid state', async (t) => {
  const dir = tmpDir(t);
  const paths = await makeStates(dir, 3);
  mkdirSync(join(dir, '9999-12-31_23-59-59,999999.state')); // newest by name, but no manifest
  t.is(await latestState(dir), paths[2]);
});

test('skips a corrupt newest state with a warning and returns the one before it', async (t) => {
  const dir = tmpDir(t);
  const paths = await makeStates(dir, 2);
  const file = join(paths[1]!, 'a', 'value.msgpack');
  const bytes = readFileSync(file);
  bytes[bytes.length - 1] ^= 1;
  writeFileSync(file, bytes);
  const logs = captureLogs();
  const latest = await latestState(dir);
  logs.stop();
  t.is(latest, paths[0]);
  t.regex(logs.text(), /Skipping state '.*': a\/value\.msgpack: checksum/);
});

test('is undefined for an empty or missing directory', async (t) => {
  const dir = tmpDir(t);
  t.is(await latestState(dir), undefined);
  t.is(await latestState(join(dir, 'missing')), undefined);
});
