import test from 'ava';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { StateStore } from '../../src/state/store.js';
import { LatestStatesKeeper, StatesKeeper } from '../../src/state/keeper.js';
import { scanStates } from '../../src/state/scan.js';
import { captureLogs } from '../../src/log.js';
import { Counter } from '../helpers/components.js';
import { tmpDir } from '../helpers/tmp.js';

async function makeStates(dir: string, n: number): Promise<string[]> {
  const store = new StateStore({ statesDir: dir, stateNameFormat: 's%f.state' });
  store.register('a', new Counter());
  const paths: string[] = [];
  for (let i = 0; i < n; i++) paths.push(await store.saveState());
  return paths;
}

const states = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.state')).sort();

test('removes the oldest states beyond maxKeep, ordered by creation time and not by mtime', async (t) => {
  const dir = tmpDir(t);
  const paths = await makeStates(dir, 5);
  // Reverse the mtimes: the oldest state now looks newest to an mtime-based keeper.
  paths.forEach((p, i) => utimesSync(p, new Date(), new Date(Date.now() - i * 3_600_000)));
  const keeper = new LatestStatesKeeper({ statesDir: dir, maxKeep: 3 });
  const removed = await keeper.cleanup();
  t.deepEqual(removed, paths.slice(0, 2));
  t.deepEqual(states(dir), paths.slice(2).map((p) => basename(p)).sort());
});

test('ignores directories without a valid manifest and never lets them displace a valid state', async (t) => {
  const dir = tmpDir(t);
  const paths = await makeStates(dir, 2);
  mkdirSync(join(dir, 'zz-half-written.state'));
  mkdirSync(join(dir, 'zz-garbage.state'));
  writeFileSync(join(dir, 'zz-garbage.state', 'manifest.json'), '{"format":');
  const logs = captureLogs();
  const keeper = new LatestStatesKeeper({ statesDir: dir, maxKeep: 2 });
  const removed = await keeper.cleanup();
  logs.stop();
  t.deepEqual(removed, []);
  for (const p of paths) t.true(existsSync(p));
  t.regex(logs.text(), /Ignoring '.*zz-half-written\.state', not a valid state/);
  const scan = await scanStates(dir);
  t.deepEqual(
    scan.entries.filter((e) => !e.valid).map((e) => e.name),
    ['zz-garbage.state', 'zz-half-written.state'],
  );
});

test('never removes the newest committed state or the loaded one', async (t) => {
  const dir = tmpDir(t);
  const paths = await makeStates(dir, 3);
  class RemoveAll extends StatesKeeper {
    override selectRemovalStates() {
      return paths;
    }
  }
  const keeper = new RemoveAll();
  keeper.protect(paths[0]!);
  keeper.recordSaved(paths[2]!);
  const removed = await keeper.cleanup();
  t.deepEqual(removed, [paths[1]]);
  t.true(existsSync(paths[0]!));
  t.true(existsSync(paths[2]!));
});

test('never removes the newest valid state of a directory, whatever a custom keeper selects', async (t) => {
  const dir = tmpDir(t);
  const paths = await makeStates(dir, 3);
  mkdirSync(join(dir, 'zzz-not-a-state.state'));
  class RemoveAll extends StatesKeeper {
    override selectRemovalStates() {
      return [...paths, join(dir, 'zzz-not-a-state.state')];
    }
  }
  const removed = await new RemoveAll().cleanup();
  t.deepEqual(removed.sort(), [paths[0]!, paths[1]!, join(dir, 'zzz-not-a-state.state')].sort());
  t.true(existsSync(paths[2]!), 'the newest valid state stays');
});

test('rejects maxKeep below 1 and an empty pattern', (t) => {
  for (const maxKeep of [0, -1, 1.5, Number.NaN]) {
    t.throws(() => new LatestStatesKeeper({ statesDir: 'x', maxKeep }), { instanceOf: RangeError, message: /maxKeep/ });
  }
  t.throws(() => new LatestStatesKeeper({ statesDir: 'x', maxKeep: 1, stateNamePattern: '' }), { message: /stateNamePattern/ });
});

test('scans the directory at cleanup, not at construction', async (t) => {
  const dir = tmpDir(t);
  const keeper = new LatestStatesKeeper({ statesDir: join(dir, 'later'), maxKeep: 1 });
  const paths = await makeStates(join(dir, 'later'), 3);
  t.deepEqual(await keeper.cleanup(), paths.slice(0, 2));
});

test('a keeper written like the guide’s SizeBasedStatesKeeper works', async (t) => {
  const dir = tmpDir(t);
  class SizeBasedStatesKeeper extends StatesKeeper {
    private statePaths: string[] = [];
    constructor(
      readonly statesDir: string,
      readonly maxTotalSizeBytes: number,
    ) {
      super();
    }
    override append(path: string) {
      this.statePaths.push(path);
    }
    override async selectRemovalStates() {
      const { entries } = await scanStates(this.statesDir);
      const byPath = new Map(entries.map((e) => [e.path, e]));
      const sorted = [...this.statePaths].sort((a, b) => byPath.get(a)!.mtimeMs - byPath.get(b)!.mtimeMs);
      let total = 0;
      const removal: string[] = [];
      for (const path of sorted.reverse()) {
        total += byPath.get(path)?.size ?? 0;
        if (total > this.maxTotalSizeBytes) removal.push(path);
      }
      this.statePaths = this.statePaths.filter((p) => !removal.includes(p));
      return removal;
    }
  }
  const paths = await makeStates(dir, 4);
  paths.forEach((p, i) => utimesSync(p, new Date(), new Date(1_700_000_000_000 + i * 1000)));
  const oneState = (await scanStates(dir)).entries[0]!.size!;
  const keeper = new SizeBasedStatesKeeper(dir, oneState * 2);
  for (const p of paths) keeper.recordSaved(p);
  const removed = await keeper.cleanup();
  t.deepEqual(removed.sort(), paths.slice(0, 2).sort());
  t.is(states(dir).length, 2);
});

test('removal is crash-safe: the state leaves the pattern before its files are deleted', async (t) => {
  const dir = tmpDir(t);
  const paths = await makeStates(dir, 2);
  const keeper = new LatestStatesKeeper({ statesDir: dir, maxKeep: 1 });
  const logs = captureLogs();
  await keeper.cleanup();
  logs.stop();
  t.regex(logs.text(), new RegExp(`Removed: '${paths[0]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`));
  t.deepEqual(readdirSync(dir).sort(), [basename(paths[1]!)]);
  t.true(statSync(paths[1]!).isDirectory());
});
