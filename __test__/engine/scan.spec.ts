import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import type { Engine } from '../../src/backend/types.js';
import { codeOf, eachEngine, makeState, parity, tmp } from './vectors.js';

/** A states dir with valid states (mtimes reversed against createdAtNs), invalid entries and leftovers. */
async function populate(t: ExecutionContext, engine: Engine): Promise<string> {
  const statesDir = tmp(t);
  const made = [
    { name: 'c.state', createdAtNs: '1000000000000000001' },
    { name: 'b.state', createdAtNs: '999999999999999999' }, // shorter number, earlier
    { name: 'a.state', createdAtNs: '1000000000000000001' }, // tie: by name
    { name: 'd.state', createdAtNs: '2000000000000000000' },
  ];
  for (const m of made) await makeState(t, engine, { 'time.msgpack': m.name }, { statesDir, ...m });
  // Reverse the mtimes so that an mtime order would be wrong.
  made.forEach((m, i) => {
    utimesSync(join(statesDir, m.name), 1_700_000_000 - i * 100, 1_700_000_000 - i * 100);
  });
  mkdirSync(join(statesDir, 'no-manifest.state'));
  mkdirSync(join(statesDir, 'garbage.state'));
  writeFileSync(join(statesDir, 'garbage.state', 'manifest.json'), 'not json');
  mkdirSync(join(statesDir, 'newer.state'));
  writeFileSync(
    join(statesDir, 'newer.state', 'manifest.json'),
    JSON.stringify({ format: 'pamiq-state', formatVersion: 3 }),
  );
  writeFileSync(join(statesDir, 'file.state'), 'a file is no state');
  mkdirSync(join(statesDir, 'other-dir'));
  mkdirSync(join(statesDir, '.pamiq-tmp-e.state-123-deadbeef'));
  mkdirSync(join(statesDir, '.pamiq-trash-f.state-cafebabe'));
  mkdirSync(join(statesDir, '.hidden.state'));
  return statesDir;
}

eachEngine('orders valid states by seq (save order), not by createdAtNs or mtime', async (t, engine) => {
  const statesDir = await populate(t, engine);
  const r = await engine.scanStates(statesDir, '*.state');
  const valid = r.entries.filter((e) => e.valid);
  t.deepEqual(
    valid.map((e) => e.name),
    ['c.state', 'b.state', 'a.state', 'd.state'],
  );
  const a = valid[2]!;
  t.deepEqual(a, {
    name: 'a.state',
    path: join(statesDir, 'a.state'),
    mtimeMs: 1_700_000_000_000 - 200_000,
    valid: true,
    createdAtNs: '1000000000000000001',
    seq: 3,
    size: 'a.state'.length,
    fileCount: 1,
    components: ['data', 'time'],
  });
});

eachEngine('reports invalid entries with reasons, after the valid ones, and never as valid', async (t, engine) => {
  const statesDir = await populate(t, engine);
  const r = await engine.scanStates(statesDir, '*.state');
  t.deepEqual(
    r.entries.map((e) => e.name),
    ['c.state', 'b.state', 'a.state', 'd.state', 'garbage.state', 'newer.state', 'no-manifest.state'],
    'files, hidden names and non-matching names are not entries',
  );
  const invalid = r.entries.filter((e) => !e.valid);
  t.deepEqual(
    invalid.map((e) => e.name),
    ['garbage.state', 'newer.state', 'no-manifest.state'],
  );
  t.regex(invalid[0]!.reason!, /^manifest\.json: invalid JSON/);
  t.is(invalid[1]!.reason, 'format version 3 is newer than 2');
  t.is(invalid[2]!.reason, 'no manifest.json');
  for (const e of invalid) {
    t.is(e.createdAtNs, undefined);
    t.is(e.size, undefined);
    t.is(typeof e.mtimeMs, 'number');
  }
});

eachEngine('reports leftovers and skips dot names before matching', async (t, engine) => {
  const statesDir = await populate(t, engine);
  const r = await engine.scanStates(statesDir, '*');
  t.deepEqual(r.leftovers, ['.pamiq-tmp-e.state-123-deadbeef', '.pamiq-trash-f.state-cafebabe']);
  t.false(r.entries.some((e) => e.name.startsWith('.')));
  t.true(r.entries.some((e) => e.name === 'other-dir' && !e.valid));
  const only = await engine.scanStates(statesDir, '{a,d}.state');
  t.deepEqual(
    only.entries.map((e) => e.name),
    ['a.state', 'd.state'],
  );
});

eachEngine('fails with ENOENT for a missing states dir and returns nothing for an empty one', async (t, engine) => {
  const dir = tmp(t);
  t.is(await codeOf(engine.scanStates(join(dir, 'nope'), '*')), 'ENOENT');
  t.deepEqual(await engine.scanStates(dir, '*'), { entries: [], leftovers: [] });
});

parity('scans alike with both backends', async (t, nat, ts) => {
  const statesDir = await populate(t, ts);
  for (const pattern of ['*.state', '*', '?.state', '[ab].state', 'no-*']) {
    t.deepEqual(await nat.scanStates(statesDir, pattern), await ts.scanStates(statesDir, pattern), pattern);
  }
});

parity(
  'scans names beyond ASCII alike with both backends (UTF-16 offsets of the packed native result)',
  async (t, nat, ts) => {
    const statesDir = tmp(t);
    const names = ['é.state', '😀-x.state', 'ascii.state', '日本語.state', 'z😀😀.state'];
    for (const [i, name] of names.entries()) {
      await makeState(
        t,
        ts,
        { 'time.msgpack': name, [`données-${i}/😀.bin`]: 'x' },
        { statesDir, name, createdAtNs: String(1_000 + i) },
      );
    }
    mkdirSync(join(statesDir, 'ü-no-manifest.state'));
    mkdirSync(join(statesDir, '.pamiq-tmp-ß.state-1-ab'));
    const r = await nat.scanStates(statesDir, '*.state');
    t.deepEqual(
      r.entries.map((e) => e.name),
      [...names, 'ü-no-manifest.state'],
    );
    t.deepEqual(r.entries[1]!.path, join(statesDir, '😀-x.state'));
    t.deepEqual(r.leftovers, ['.pamiq-tmp-ß.state-1-ab']);
    t.deepEqual(r, await ts.scanStates(statesDir, '*.state'));
  },
);
