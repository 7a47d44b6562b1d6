import { mkdirSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import type { EngineError, Engine } from '../../src/backend/types.js';
import { codeOf, eachEngine, makeState, parity, plain, sealManifest } from './vectors.js';

const FILES = {
  'time.msgpack': 'time',
  'data/buf/buffer.msgpack': new Uint8Array(4096).map((_, i) => i % 251),
  'models/m.bin': 'model weights',
};

/** Both checks of a state: readState and verifyState. */
async function checks(engine: Engine, dir: string) {
  const read = await engine.readState(dir);
  const verify = await engine.verifyState(dir);
  return { read, verify };
}

eachEngine('reads an intact state: its manifest, no problems and every file', async (t, engine) => {
  const s = await makeState(t, engine, FILES);
  const { read, verify } = await checks(engine, s.path);
  t.deepEqual(read.problems, []);
  t.deepEqual(verify.problems, []);
  t.deepEqual(read.manifest, verify.manifest);
  t.deepEqual([...read.files.keys()].sort(), Object.keys(FILES).sort());
  t.deepEqual(plain(read.files.get('data/buf/buffer.msgpack')!), FILES['data/buf/buffer.msgpack']);
  t.is(Buffer.from(read.files.get('time.msgpack')!).toString(), 'time');
});

eachEngine(
  'reads a large file (read in pieces) back whole, and finds a flipped byte in its last piece',
  async (t, engine) => {
    const big = new Uint8Array((20 << 20) + 12_345).map((_, i) => (i * 131) % 251);
    const s = await makeState(t, engine, { 'data/big.bin': big });
    const read = await engine.readState(s.path);
    t.deepEqual(read.problems, []);
    t.true(Buffer.from(read.files.get('data/big.bin')!).equals(Buffer.from(big)));
    const p = join(s.path, 'data/big.bin');
    const b = readFileSync(p);
    b[b.length - 3]! ^= 0x01;
    writeFileSync(p, b);
    const bad = await engine.readState(s.path);
    t.is(bad.files.size, 0);
    t.deepEqual(
      bad.problems.map((x) => [x.path, x.fault]),
      [['data/big.bin', 'checksum']],
    );
  },
);

async function damaged(t: ExecutionContext, engine: Engine, damage: (dir: string) => void) {
  const s = await makeState(t, engine, FILES);
  damage(s.path);
  const { read, verify } = await checks(engine, s.path);
  t.deepEqual(read.problems, verify.problems, 'readState and verifyState find the same problems');
  t.is(read.files.size, 0, 'no contents when there are problems');
  return read.problems;
}

eachEngine('reports a flipped byte as a checksum problem naming the file', async (t, engine) => {
  const problems = await damaged(t, engine, (dir) => {
    const p = join(dir, 'data/buf/buffer.msgpack');
    const b = readFileSync(p);
    b[1000] ^= 0xff;
    writeFileSync(p, b);
  });
  t.is(problems.length, 1);
  t.is(problems[0]!.path, 'data/buf/buffer.msgpack');
  t.is(problems[0]!.fault, 'checksum');
  t.regex(problems[0]!.detail, /^expected xxh3 [0-9a-f]{16}, found [0-9a-f]{16}$/);
});

eachEngine('reports a truncated file as a size problem', async (t, engine) => {
  const problems = await damaged(t, engine, (dir) => truncateSync(join(dir, 'data/buf/buffer.msgpack'), 17));
  t.deepEqual(problems, [{ path: 'data/buf/buffer.msgpack', fault: 'size', detail: 'expected 4096 bytes, found 17' }]);
});

eachEngine('reports a deleted file as missing', async (t, engine) => {
  const problems = await damaged(t, engine, (dir) => unlinkSync(join(dir, 'models/m.bin')));
  t.deepEqual(problems, [{ path: 'models/m.bin', fault: 'missing', detail: 'listed in the manifest but not found' }]);
});

eachEngine('reports an extra file as unexpected, and problems sorted by path', async (t, engine) => {
  const problems = await damaged(t, engine, (dir) => {
    writeFileSync(join(dir, 'zzz.txt'), 'extra');
    mkdirSync(join(dir, 'data/other'));
    writeFileSync(join(dir, 'data/other/x'), 'extra');
    mkdirSync(join(dir, 'empty-dir')); // directories are never problems
    unlinkSync(join(dir, 'time.msgpack'));
  });
  t.deepEqual(problems, [
    { path: 'data/other/x', fault: 'unexpected', detail: 'not listed in the manifest' },
    { path: 'time.msgpack', fault: 'missing', detail: 'listed in the manifest but not found' },
    { path: 'zzz.txt', fault: 'unexpected', detail: 'not listed in the manifest' },
  ]);
});

eachEngine('rejects a directory without manifest with ENOTSTATE and a missing one with ENOENT', async (t, engine) => {
  const s = await makeState(t, engine, FILES);
  rmSync(join(s.path, 'manifest.json'));
  for (const fn of [engine.readState.bind(engine), engine.verifyState.bind(engine)]) {
    const err = await t.throwsAsync(fn(s.path));
    t.is((err as EngineError).code, 'ENOTSTATE');
    t.true(err!.message.includes(s.path), err!.message);
    t.is(await codeOf(fn(join(s.statesDir, 'nope'))), 'ENOENT');
  }
});

function rewriteManifest(dir: string, edit: (m: Record<string, unknown>) => unknown): void {
  const p = join(dir, 'manifest.json');
  writeFileSync(p, sealManifest(edit(JSON.parse(readFileSync(p, 'utf8'))) as Record<string, unknown>));
}

eachEngine('rejects formatVersion 3 with ENEWERFORMAT', async (t, engine) => {
  const s = await makeState(t, engine, FILES);
  rewriteManifest(s.path, (m) => ({ ...m, formatVersion: 3 }));
  t.is(await codeOf(engine.readState(s.path)), 'ENEWERFORMAT');
  t.is(await codeOf(engine.verifyState(s.path)), 'ENEWERFORMAT');
});

eachEngine('rejects a garbage or misshapen manifest with EBADMANIFEST', async (t, engine) => {
  const s = await makeState(t, engine, FILES);
  const p = join(s.path, 'manifest.json');
  const good = readFileSync(p, 'utf8');
  const variants: [string, string][] = [
    ['garbage', '{"format": "pamiq-state", '],
    ['binary', '\u0000\u0001'],
    ['array', '[]'],
    ['wrong format', good.replace('"pamiq-state"', '"other"')],
    ['numeric createdAtNs', good.replace('"1764075695123456789"', '1764075695')],
    ['negative size', good.replace('"size": 4096', '"size": -1')],
    ['escaping path', good.replace('"models/m.bin"', '"../m.bin"')],
    ['absolute path', good.replace('"models/m.bin"', '"/etc/passwd"')],
    ['bad hash', good.replace(/"xxh3": "[0-9a-f]{16}"/, '"xxh3": "XYZ"')],
    ['duplicate path', good.replace('"models/m.bin"', '"time.msgpack"')],
  ];
  for (const [label, text] of variants) {
    writeFileSync(p, text);
    t.is(await codeOf(engine.readState(s.path)), 'EBADMANIFEST', label);
    t.is(await codeOf(engine.verifyState(s.path)), 'EBADMANIFEST', label);
  }
});

eachEngine('accepts an older formatVersion and ignores unknown manifest keys', async (t, engine) => {
  const s = await makeState(t, engine, FILES);
  rewriteManifest(s.path, (m) => ({ extra: true, ...m, formatVersion: 0 }));
  const r = await engine.readState(s.path);
  t.is(r.manifest.formatVersion, 0);
  t.false('extra' in r.manifest);
  t.deepEqual(Object.keys(r.manifest), ['format', 'formatVersion', 'library', 'createdAtNs', 'components', 'files']);
});

parity('reads and verifies alike with both backends, intact or damaged', async (t, nat, ts) => {
  const s = await makeState(t, ts, FILES);
  const norm = (r: Awaited<ReturnType<Engine['readState']>>) => ({
    manifest: r.manifest,
    problems: r.problems,
    files: [...r.files].map(([k, v]) => [k, plain(v)]).sort(),
  });
  t.deepEqual(norm(await nat.readState(s.path)), norm(await ts.readState(s.path)));
  t.deepEqual(await nat.verifyState(s.path), await ts.verifyState(s.path));
  truncateSync(join(s.path, 'time.msgpack'), 1);
  unlinkSync(join(s.path, 'models/m.bin'));
  writeFileSync(join(s.path, 'extra'), 'x');
  const b = readFileSync(join(s.path, 'data/buf/buffer.msgpack'));
  b[0] ^= 1;
  writeFileSync(join(s.path, 'data/buf/buffer.msgpack'), b);
  t.deepEqual(norm(await nat.readState(s.path)), norm(await ts.readState(s.path)));
  t.deepEqual(await nat.verifyState(s.path), await ts.verifyState(s.path));
  for (const text of ['garbage', '{"format":"pamiq-state","formatVersion":3}', '[]']) {
    writeFileSync(join(s.path, 'manifest.json'), text);
    t.is(await codeOf(nat.readState(s.path)), await codeOf(ts.readState(s.path)), text);
  }
  t.is(await codeOf(nat.readState(join(s.statesDir, 'nope'))), await codeOf(ts.readState(join(s.statesDir, 'nope'))));
});

parity('reads a state committed by the other backend', async (t, nat, ts) => {
  const a = await makeState(t, nat, FILES);
  const b = await makeState(t, ts, FILES);
  t.deepEqual((await ts.verifyState(a.path)).problems, []);
  t.deepEqual((await nat.verifyState(b.path)).problems, []);
  t.true(readFileSync(join(a.path, 'manifest.json')).equals(readFileSync(join(b.path, 'manifest.json'))));
});
