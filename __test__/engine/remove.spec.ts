import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codeOf, eachEngine, makeState, parity, tmp } from './vectors.js';

eachEngine('removes states crash-safely and reports an outcome per path', async (t, engine) => {
  const statesDir = tmp(t);
  const a = await makeState(t, engine, { f: 'a', 'd/e/f': 'deep' }, { statesDir, name: 'a.state' });
  const b = await makeState(t, engine, { f: 'b' }, { statesDir, name: 'b.state' });
  const keep = await makeState(t, engine, { f: 'k' }, { statesDir, name: 'keep.state' });
  const missing = join(statesDir, 'missing.state');
  const out = await engine.removeStates([a.path, missing, b.path]);
  t.deepEqual(out[0], { path: a.path, removed: true });
  t.deepEqual(out[2], { path: b.path, removed: true });
  t.is(out[1]!.path, missing);
  t.false(out[1]!.removed);
  t.regex(out[1]!.error!, /^ENOENT: /);
  t.true(out[1]!.error!.includes(missing), out[1]!.error);
  t.deepEqual(readdirSync(statesDir), ['keep.state'], 'no trash left behind');
  t.true(existsSync(keep.path));
});

eachEngine('returns an empty list for no paths', async (t, engine) => {
  t.deepEqual(await engine.removeStates([]), []);
});

eachEngine('removes leftovers of interrupted saves and removals and nothing else', async (t, engine) => {
  const dir = tmp(t);
  mkdirSync(join(dir, '.pamiq-tmp-a.state-42-0badf00d/data'), { recursive: true });
  writeFileSync(join(dir, '.pamiq-tmp-a.state-42-0badf00d/data/x'), 'x');
  mkdirSync(join(dir, '.pamiq-trash-b.state-deadbeef'));
  writeFileSync(join(dir, '.pamiq-trash-c.state-feedface'), 'a file leftover');
  mkdirSync(join(dir, '.other'));
  mkdirSync(join(dir, 'a.state'));
  const removed = await engine.removeLeftovers(dir);
  t.deepEqual(removed, [
    '.pamiq-tmp-a.state-42-0badf00d',
    '.pamiq-trash-b.state-deadbeef',
    '.pamiq-trash-c.state-feedface',
  ]);
  t.deepEqual(readdirSync(dir).sort(), ['.other', 'a.state']);
  t.deepEqual(await engine.removeLeftovers(dir), []);
  t.is(await codeOf(engine.removeLeftovers(join(dir, 'nope'))), 'ENOENT');
});

eachEngine('a removal interrupted after the rename leaves no state, only a leftover', async (t, engine) => {
  // The crash window of removeStates: renamed to trash, not yet deleted.
  const statesDir = tmp(t);
  const s = await makeState(t, engine, { f: 'x' }, { statesDir });
  const { renameSync } = await import('node:fs');
  renameSync(s.path, join(statesDir, '.pamiq-trash-a.state-12345678'));
  const scan = await engine.scanStates(statesDir, '*');
  t.deepEqual(scan.entries, []);
  t.deepEqual(scan.leftovers, ['.pamiq-trash-a.state-12345678']);
  t.deepEqual(await engine.removeLeftovers(statesDir), ['.pamiq-trash-a.state-12345678']);
  t.deepEqual(readdirSync(statesDir), []);
});

parity('removes alike with both backends', async (t, nat, ts) => {
  const outs = [];
  for (const engine of [nat, ts]) {
    const statesDir = tmp(t);
    const a = await makeState(t, engine, { f: 'a' }, { statesDir, name: 'a.state' });
    const out = await engine.removeStates([a.path, join(statesDir, 'missing.state')]);
    outs.push(
      out.map((o) => ({ ...o, path: o.path.slice(statesDir.length), error: o.error?.split(statesDir).join('<dir>') })),
    );
    mkdirSync(join(statesDir, '.pamiq-tmp-z-1-00000000'));
    outs.push(await engine.removeLeftovers(statesDir));
  }
  t.deepEqual(outs[0], outs[2]);
  t.deepEqual(outs[1], outs[3]);
});
