import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMsgpack, readStateFile, stageFile, stageMsgpack } from '../../src/persistence/component-files.js';
import { tmpDir } from '../helpers/tmp.js';

test('msgpack helpers round-trip values, typed arrays included', async (t) => {
  const dir = tmpDir(t);
  const value = { a: 1, b: 'two', c: [3, null, true], d: new Float32Array([1.5, -2]), e: -Infinity };
  await stageMsgpack(join(dir, 'x', 'v.msgpack'), value);
  t.deepEqual(await readMsgpack(join(dir, 'x', 'v.msgpack')), value);
});

test('outside a save, a state file is replaced atomically and no temporary file remains', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'f.bin');
  await stageFile(file, () => [new Uint8Array([1, 2, 3])]);
  await stageFile(file, () => [new Uint8Array([4, 5])]);
  t.deepEqual([...readFileSync(file)], [4, 5]);
  t.deepEqual(readdirSync(dir), ['f.bin']);
});

test('a producer that throws outside a save leaves the previous file intact', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'f.bin');
  await stageFile(file, () => [new Uint8Array([9])]);
  await t.throwsAsync(
    stageFile(file, () => Promise.reject(new Error('no'))),
    { message: 'no' },
  );
  t.deepEqual([...readFileSync(file)], [9]);
  t.deepEqual(readdirSync(dir), ['f.bin']);
});

test('reading a missing state file fails with ENOENT', async (t) => {
  const err = await t.throwsAsync(readStateFile(join(tmpDir(t), 'missing.msgpack')));
  t.is((err as NodeJS.ErrnoException).code, 'ENOENT');
  t.false(existsSync(join(tmpDir(t), 'missing.msgpack')));
});
