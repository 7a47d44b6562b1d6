import test from 'ava';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { StateStore } from '../../src/state/store.js';
import { stageFile } from '../../src/persistence/component-files.js';
import { SaveError, StateCorruptError, StateMismatchError, StateNotFoundError } from '../../src/state/errors.js';
import { EngineError } from '../../src/backend/types.js';
import { Counter, EpisodeStats, Failing } from '../helpers/components.js';
import { tmpDir } from '../helpers/tmp.js';

const visible = (dir: string) => readdirSync(dir).filter((n) => !n.startsWith('.'));
const hidden = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('.pamiq-'));

test('registers components by name and refuses a duplicate name', (t) => {
  const store = new StateStore({ statesDir: tmpDir(t) });
  store.register('a', new Counter());
  t.deepEqual(store.names, ['a']);
  t.throws(() => store.register('a', new Counter()), { message: /already registered/ });
});

test('refuses a component name that is not a plain file name', (t) => {
  const store = new StateStore({ statesDir: tmpDir(t) });
  for (const name of ['', '../x', 'a/b', '.hidden', 'manifest.json']) {
    t.throws(() => store.register(name, new Counter()), { message: /plain file name/ }, name);
  }
});

test('the constructor creates the states directory, with its parents, as PAMIQ-Core does', (t) => {
  const dir = join(tmpDir(t), 'a', 'b', 'states');
  t.false(existsSync(dir));
  const store = new StateStore({ statesDir: dir });
  t.true(statSync(dir).isDirectory());
  t.is(store.statesDir, dir);
  t.notThrows(() => new StateStore({ statesDir: dir }), 'an existing directory is fine');
});

test('the constructor fails with the file system error when statesDir is a file', (t) => {
  const file = join(tmpDir(t), 'states');
  writeFileSync(file, 'x');
  t.throws(() => new StateStore({ statesDir: file }), { code: 'EEXIST' });
});

test('refuses an invalid state name format when constructed', (t) => {
  t.throws(() => new StateStore({ statesDir: tmpDir(t), stateNameFormat: '%Q.state' }), {
    message: /unknown token %Q/,
  });
  t.throws(() => new StateStore({ statesDir: tmpDir(t), stateNameFormat: 'a/%Y.state' }), {
    message: /one non-empty path segment/,
  });
});

test('saves every component under <state>/<name> with the manifest and a UTC name', async (t) => {
  const dir = tmpDir(t);
  const store = new StateStore({ statesDir: join(dir, 'nested', 'states') });
  const a = new Counter();
  a.value = 7;
  const stats = new EpisodeStats();
  stats.episodeCount = 3;
  store.register('a', a);
  store.register('agent', stats);
  const path = await store.saveState();
  t.regex(basename(path), /^\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2},\d{6}\.state$/);
  const manifest = JSON.parse(readFileSync(join(path, 'manifest.json'), 'utf8'));
  t.is(manifest.format, 'pamiq-state');
  t.is(manifest.formatVersion, 2);
  t.deepEqual(manifest.components, ['a', 'agent']);
  t.deepEqual(
    manifest.files.map((f: { path: string }) => f.path),
    ['a/value.msgpack', 'agent/episode_stats.txt'],
  );
  t.regex(manifest.createdAtNs, /^\d{19}$/);
  t.deepEqual(hidden(join(dir, 'nested', 'states')), [], 'no temporary directory is left');
});

test('two saves in the same instant never collide', async (t) => {
  const dir = tmpDir(t);
  const store = new StateStore({ statesDir: dir, stateNameFormat: 'fixed.state' });
  store.register('a', new Counter());
  const paths = await Promise.all([store.saveState(), store.saveState(), store.saveState()]);
  t.deepEqual(paths.map((p) => basename(p)).sort(), ['fixed.state', 'fixed_1.state', 'fixed_2.state']);
  t.deepEqual(visible(dir).sort(), ['fixed.state', 'fixed_1.state', 'fixed_2.state']);
});

test('stages built-in files during the capture and writes them only at commit', async (t) => {
  const dir = tmpDir(t);
  const store = new StateStore({ statesDir: dir });
  let produced = 0;
  store.register('lazy', {
    saveState: (p: string) =>
      stageFile(join(p, 'blob.bin'), () => {
        produced++;
        return [new Float32Array([1, 2, 3])];
      }),
    loadState: () => undefined,
  });
  const pending = await store.capture();
  t.is(produced, 0, 'the producer has not run during the capture');
  t.false(existsSync(join(pending.tmpDir, 'lazy', 'blob.bin')));
  const path = await pending.commit();
  t.is(produced, 1);
  const bytes = readFileSync(join(path, 'lazy', 'blob.bin'));
  t.deepEqual(
    [...new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))],
    [1, 2, 3],
  );
});

test('leaves nothing behind when a component throws during the capture', async (t) => {
  const dir = tmpDir(t);
  const store = new StateStore({ statesDir: dir });
  store.register('ok', new Counter());
  store.register('bad', new Failing());
  const err = await t.throwsAsync(store.saveState(), { instanceOf: SaveError });
  t.regex(err!.message, /Component 'bad' failed.*exploded while saving/);
  t.deepEqual(readdirSync(dir), []);
});

test('keeps every earlier state intact when a later save fails', async (t) => {
  const dir = tmpDir(t);
  const store = new StateStore({ statesDir: dir });
  const failing = new Failing();
  failing.failSave = false;
  store.register('a', new Counter());
  store.register('f', failing);
  const first = await store.saveState();
  const before = readFileSync(join(first, 'manifest.json'));
  failing.failSave = true;
  await t.throwsAsync(store.saveState(), { instanceOf: SaveError });
  t.deepEqual(visible(dir), [basename(first)]);
  t.deepEqual(readFileSync(join(first, 'manifest.json')), before);
  t.deepEqual(hidden(dir), []);
});

test('reports a producer failure with the file it was writing and removes the temporary directory', async (t) => {
  const dir = tmpDir(t);
  const store = new StateStore({ statesDir: dir });
  store.register('p', {
    saveState: (p: string) =>
      stageFile(join(p, 'x.bin'), () => {
        throw new Error('cannot encode');
      }),
    loadState: () => undefined,
  });
  const err = await t.throwsAsync(store.saveState(), { instanceOf: SaveError });
  t.regex(err!.message, /p\/x\.bin.*cannot encode/);
  t.deepEqual(readdirSync(dir), []);
});

test('loads each component from <state>/<name>', async (t) => {
  const dir = tmpDir(t);
  const save = new StateStore({ statesDir: dir });
  const a = new Counter();
  a.value = 42;
  const stats = new EpisodeStats();
  stats.totalReward = 12.5;
  save.register('a', a);
  save.register('agent', stats);
  const path = await save.saveState();

  const load = new StateStore({ statesDir: dir });
  const a2 = new Counter();
  const stats2 = new EpisodeStats();
  load.register('a', a2);
  load.register('agent', stats2);
  await load.loadState(path);
  t.is(a2.value, 42);
  t.is(stats2.totalReward, 12.5);
  t.deepEqual(a2.loads, [join(path, 'a')]);
});

test('refuses to load a missing path', async (t) => {
  const store = new StateStore({ statesDir: tmpDir(t) });
  await t.throwsAsync(store.loadState(join(tmpDir(t), 'nope.state')), {
    instanceOf: StateNotFoundError,
    message: /nope\.state' not found/,
  });
});

test('refuses a directory that is not a state', async (t) => {
  const store = new StateStore({ statesDir: tmpDir(t) });
  const err = await t.throwsAsync(store.loadState(tmpDir(t)));
  t.true(err instanceof EngineError && err.code === 'ENOTSTATE', String(err));
});

test('verifies every file before touching any component', async (t) => {
  const dir = tmpDir(t);
  const store = new StateStore({ statesDir: dir });
  const a = new Counter();
  const stats = new EpisodeStats();
  store.register('a', a);
  store.register('agent', stats);
  const path = await store.saveState();
  const file = join(path, 'agent', 'episode_stats.txt');
  const bytes = readFileSync(file);
  bytes[0] ^= 0xff;
  writeFileSync(file, bytes);
  const err = await t.throwsAsync(store.loadState(path), { instanceOf: StateCorruptError });
  t.regex(err!.message, /agent\/episode_stats\.txt: checksum/);
  t.deepEqual(a.loads, [], 'no component was loaded');
});

test('names a missing file when loading', async (t) => {
  const dir = tmpDir(t);
  const store = new StateStore({ statesDir: dir });
  store.register('a', new Counter());
  const path = await store.saveState();
  unlinkSync(join(path, 'a', 'value.msgpack'));
  await t.throwsAsync(store.loadState(path), { instanceOf: StateCorruptError, message: /a\/value\.msgpack: missing/ });
});

test('refuses a state whose components differ and lists them, unless partial', async (t) => {
  const dir = tmpDir(t);
  const save = new StateStore({ statesDir: dir });
  save.register('a', new Counter());
  save.register('old', new Counter());
  const path = await save.saveState();

  const load = new StateStore({ statesDir: dir });
  const a = new Counter();
  load.register('a', a);
  load.register('new', new Counter());
  const err = await t.throwsAsync(load.loadState(path), { instanceOf: StateMismatchError });
  t.deepEqual(err!.missing, ['new']);
  t.deepEqual(err!.unexpected, ['old']);
  t.deepEqual(a.loads, []);
  await load.loadState(path, { partial: true });
  t.deepEqual(a.loads, [join(path, 'a')]);
});

test('refuses a state written by a newer format version', async (t) => {
  const dir = tmpDir(t);
  const store = new StateStore({ statesDir: dir });
  store.register('a', new Counter());
  const path = await store.saveState();
  const manifestPath = join(path, 'manifest.json');
  writeFileSync(manifestPath, readFileSync(manifestPath, 'utf8').replace('"formatVersion": 2', '"formatVersion": 3'));
  const err = await t.throwsAsync(store.loadState(path));
  t.true(err instanceof EngineError && err.code === 'ENEWERFORMAT', String(err));
});
