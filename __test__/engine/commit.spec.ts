import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineError, CommitRequest, Engine } from '../../src/backend/types.js';
import { eachEngine, parity, sealManifest, tmp, writeTree } from './vectors.js';

const FILES: Record<string, string> = {
  'time.msgpack': 'time-bytes',
  'data/buf/buffer.msgpack': 'buffer-bytes',
  'data/buf/timestamps.msgpack': 'ts',
  'models/m/Ω.bin': 'omega',
  'models/m/z.bin': '',
  'trainers/t/previous_training_time.msgpack': 'x'.repeat(5000),
};

async function prepare(
  engine: Engine,
  statesDir: string,
  files = FILES,
  knownPaths: string[] = [],
): Promise<CommitRequest> {
  const tmpDir = join(statesDir, `.pamiq-tmp-s.state-${process.pid}-0badcafe`);
  mkdirSync(tmpDir);
  mkdirSync(join(tmpDir, 'interaction/agent'), { recursive: true }); // empty directories are not recorded
  writeTree(tmpDir, files);
  const known: CommitRequest['known'] = {};
  for (const rel of knownPaths) {
    // A known file as a writer produced it (written by the engine's own writer).
    const w = engine.createWriter(`${join(tmpDir, ...rel.split('/'))}.w`);
    await w.append([Buffer.from(files[rel]!)]);
    known[rel] = await w.finish();
  }
  for (const rel of knownPaths) {
    const { renameSync } = await import('node:fs');
    renameSync(`${join(tmpDir, ...rel.split('/'))}.w`, join(tmpDir, ...rel.split('/')));
  }
  return {
    tmpDir,
    statesDir,
    name: 's.state',
    known,
    library: { name: 'pamiq-core', version: '0.1.0' },
    createdAtNs: '1764075695123456789',
    components: ['interaction', 'models', 'data', 'trainers', 'time'],
  };
}

function expectedFiles(engine: Engine, files: Record<string, string>) {
  return Object.keys(files)
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map((path) => ({ path, size: Buffer.byteLength(files[path]!), xxh3: engine.xxh3(Buffer.from(files[path]!)) }));
}

eachEngine(
  'commits atomically: renames the temporary dir into place with a manifest listing every file',
  async (t, engine) => {
    const statesDir = tmp(t);
    const req = await prepare(engine, statesDir, FILES, ['data/buf/buffer.msgpack']);
    const r = await engine.commitState(req);
    t.is(r.name, 's.state');
    t.is(r.path, join(statesDir, 's.state'));
    t.false(existsSync(req.tmpDir));
    t.deepEqual(readdirSync(statesDir), ['s.state']);
    t.regex(r.manifest.manifestXxh3 ?? '', /^[0-9a-f]{16}$/);
    t.deepEqual(r.manifest, {
      format: 'pamiq-state',
      formatVersion: 2,
      library: { name: 'pamiq-core', version: '0.1.0' },
      createdAtNs: '1764075695123456789',
      seq: 1,
      components: ['interaction', 'models', 'data', 'trainers', 'time'],
      files: expectedFiles(engine, FILES),
      manifestXxh3: r.manifest.manifestXxh3,
    });
    t.true(r.durable);
    const text = readFileSync(join(r.path, 'manifest.json'), 'utf8');
    t.is(text, JSON.stringify(r.manifest, null, 2), 'two-space JSON, documented key order, no trailing newline');
    t.deepEqual(Object.keys(JSON.parse(text)), [
      'format',
      'formatVersion',
      'library',
      'createdAtNs',
      'seq',
      'components',
      'files',
      'manifestXxh3',
    ]);
    t.is(
      text,
      sealManifest(r.manifest as unknown as Record<string, unknown>),
      'manifestXxh3 = XXH3 of the text without it',
    );
  },
);

eachEngine('trusts the digests of known files and hashes the unknown ones', async (t, engine) => {
  const statesDir = tmp(t);
  const req = await prepare(engine, statesDir, { 'a.bin': 'aaa', 'b.bin': 'bbb' });
  req.known = { 'a.bin': { size: 3, xxh3: '0123456789abcdef' } }; // deliberately not the real hash
  const r = await engine.commitState(req);
  t.deepEqual(r.manifest.files, [
    { path: 'a.bin', size: 3, xxh3: '0123456789abcdef' },
    { path: 'b.bin', size: 3, xxh3: engine.xxh3(Buffer.from('bbb')) },
  ]);
});

eachEngine('adds a suffix when the name is taken', async (t, engine) => {
  const statesDir = tmp(t);
  mkdirSync(join(statesDir, 's.state'));
  const r1 = await engine.commitState(await prepare(engine, statesDir, { f: '1' }));
  t.is(r1.name, 's_1.state');
  const r2 = await engine.commitState(await prepare(engine, statesDir, { f: '2' }));
  t.is(r2.name, 's_2.state');
  const req = await prepare(engine, statesDir, { f: '3' });
  mkdirSync(join(statesDir, 'plain'));
  const r3 = await engine.commitState({ ...req, name: 'plain' });
  t.is(r3.name, 'plain_1');
  t.is(r3.path, join(statesDir, 'plain_1'));
  t.is(readFileSync(join(statesDir, 's_2.state', 'f'), 'utf8'), '2');
});

eachEngine('rejects a symlink inside the state with EBADENTRY and renames nothing', async (t, engine) => {
  const statesDir = tmp(t);
  const req = await prepare(engine, statesDir, { 'a.bin': 'a' });
  symlinkSync('a.bin', join(req.tmpDir, 'link'));
  const err = await t.throwsAsync(engine.commitState(req));
  t.is((err as EngineError).code, 'EBADENTRY');
  t.true(err!.message.includes('link'), err!.message);
  t.true(existsSync(req.tmpDir));
  t.false(existsSync(join(statesDir, 's.state')));
  t.false(existsSync(join(req.tmpDir, 'manifest.json')));
});

eachEngine('rejects a name that is no plain name with EINVAL', async (t, engine) => {
  const statesDir = tmp(t);
  const req = await prepare(engine, statesDir, { f: '1' });
  for (const name of ['', '.hidden', 'a/b']) {
    t.is(((await t.throwsAsync(engine.commitState({ ...req, name }))) as EngineError).code, 'EINVAL', name);
  }
  t.true(existsSync(req.tmpDir));
});

eachEngine('fails with ENOENT when the temporary dir is missing', async (t, engine) => {
  const statesDir = tmp(t);
  const req = await prepare(engine, statesDir, { f: '1' });
  const err = await t.throwsAsync(engine.commitState({ ...req, tmpDir: join(statesDir, '.pamiq-tmp-nope') }));
  t.is((err as EngineError).code, 'ENOENT');
});

parity('commits byte-identical manifests with both backends', async (t, nat, ts) => {
  const results = [];
  const manifests = [];
  for (const engine of [nat, ts]) {
    const statesDir = tmp(t);
    mkdirSync(join(statesDir, 's.state'));
    const req = await prepare(engine, statesDir, FILES, ['time.msgpack']);
    const r = await engine.commitState(req);
    results.push({ name: r.name, manifest: r.manifest, relPath: r.path.slice(statesDir.length) });
    manifests.push(readFileSync(join(r.path, 'manifest.json')));
  }
  t.deepEqual(results[0], results[1]);
  t.true(manifests[0]!.equals(manifests[1]!));
});
