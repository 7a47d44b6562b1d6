/**
 * Bad input: values a buffer cannot write, invalid launch configurations, and states that cannot be
 * loaded. Each gives a clear error at the right moment and changes nothing else.
 */
import test from 'ava';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createHash } from 'node:crypto';
import { engine } from '../../src/backend/select.js';
import { Agent } from '../../src/interaction/agent.js';
import { Environment } from '../../src/interaction/environment.js';
import { Interaction } from '../../src/interaction/interaction.js';
import type { DataCollector } from '../../src/data/collector.js';
import { SequentialBuffer } from '../../src/data/sequential-buffer.js';
import { Trainer } from '../../src/trainer/trainer.js';
import { launch, type LaunchConfig } from '../../src/launch/index.js';
import { LaunchConfigError } from '../../src/launch/config.js';
import { LatestStatesKeeper } from '../../src/state/keeper.js';
import { PeriodicSaveCondition } from '../../src/state/conditions.js';
import { statePhases, type StatePhaseEvent } from '../../src/state/phases.js';
import { StateStore } from '../../src/state/store.js';
import { captureLogs, setLogLevel } from '../../src/log.js';
import { buildSystem, makeState, snapshotOf, storeFor } from './fixtures/system.js';
import { Counter } from '../helpers/components.js';
import { tmpDir } from '../helpers/tmp.js';
import { sealManifest } from '../helpers/seal.js';

test.before(() => setLogLevel('warn'));

const until = async (cond: () => boolean, what: string, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

class NoteAgent extends Agent<number, number> {
  steps = 0;
  poison: unknown = undefined;
  private notes!: DataCollector<unknown>;
  override onDataCollectorsAttached() {
    this.notes = this.getDataCollector('notes');
  }
  step(obs: number) {
    this.steps++;
    if (this.poison !== undefined) {
      this.notes.collect(this.poison);
      this.poison = undefined;
    } else this.notes.collect({ step: obs, text: `note ${obs}`, values: new Float32Array([obs, obs + 1]) });
    return obs;
  }
}

class TickEnvironment extends Environment<number, number> {
  n = 0;
  setupCalls = 0;
  override setup() {
    this.setupCalls++;
  }
  async observe() {
    await new Promise((r) => setTimeout(r, 1));
    return this.n++;
  }
  affect() {}
}

/** Moves collected notes into the buffer (the trainer's update), so the bad item sits in buffer.msgpack. */
class DrainTrainer extends Trainer {
  runs = 0;
  constructor() {
    super({ trainingConditionDataUser: 'notes', minNewDataCount: 1 });
  }
  train() {
    this.runs++;
  }
}

const BAD: [string, () => unknown, RegExp][] = [
  [
    'a function',
    () => ({ step: -1, callback: function onTick() {} }),
    /cannot write a function \(onTick\) at \[\d+\]\.callback/,
  ],
  [
    'a symbol',
    () => ({ step: -1, tag: Symbol('marker') }),
    /cannot write a symbol \(Symbol\(marker\)\) at \[\d+\]\.tag/,
  ],
  [
    'a cycle',
    () => {
      const item: Record<string, unknown> = { step: -1 };
      item.self = item;
      return item;
    },
    /cannot write a cycle .* at \[\d+\]\.self/,
  ],
];

/** Large enough that the bad item is still in the buffer when the save captures it. */
const BUFFER_SIZE = 64;

for (const [kind, make, reason] of BAD) {
  test.serial(
    `a save of a buffer holding ${kind} fails naming the buffer and the item; earlier states stay intact and the system keeps saving`,
    async (t) => {
      const dir = tmpDir(t, 'pamiq-bad-item-');
      const agent = new NoteAgent();
      const env = new TickEnvironment();
      const trainer = new DrainTrainer();
      const logs = captureLogs();
      t.teardown(() => logs.stop());
      const commits: string[] = [];
      const onPhase = (msg: unknown) => {
        const e = msg as StatePhaseEvent;
        if (e.phase === 'commit:end') commits.push(e.subject);
      };
      statePhases.subscribe(onPhase);
      t.teardown(() => statePhases.unsubscribe(onPhase));
      const running = launch({
        interaction: new Interaction(agent, env),
        buffers: { notes: new SequentialBuffer(BUFFER_SIZE) },
        trainers: { drain: trainer },
        config: { statesDir: dir, handleSignals: false },
      });
      t.teardown(() => running.system.shutdown());
      await until(() => agent.steps >= 10, 'ten steps');
      await running.system.saveState();
      t.is(commits.length, 1);
      const good = commits[0]!;
      const goodManifest = readFileSync(join(good, 'manifest.json'), 'utf8');

      agent.poison = make();
      await until(() => agent.poison === undefined, 'the bad item to be collected');
      const runs = trainer.runs;
      await until(() => trainer.runs > runs + 1, 'the trainer to move it into the buffer');
      const refused = await t.throwsAsync(
        running.system.saveState(),
        undefined,
        'the request learns that its save failed',
      );
      t.regex(refused!.message, /data\/notes\/(buffer|pending)\.msgpack/);
      t.is(commits.length, 1, 'the bad save committed nothing');
      t.deepEqual(
        readdirSync(dir).filter((n) => n.startsWith('.pamiq-')),
        [],
        'no temporary directory left',
      );

      // The system keeps running; once the bad item has left the buffer, saves succeed again.
      const steps = agent.steps;
      await until(() => agent.steps >= steps + 2 * BUFFER_SIZE && trainer.runs > runs + 5, 'more steps');
      await running.system.saveState();
      t.is(commits.length, 2, 'a later save of good data succeeds');
      running.system.shutdown();
      const result = await running;

      t.is(result.failedSaves.length, 1);
      const message = (result.failedSaves[0] as Error).message;
      t.regex(message, /data\/notes\/(buffer|pending)\.msgpack/, 'names the buffer');
      t.regex(message, reason, 'names the item and what is wrong with it');
      t.true(logs.text().includes('earlier states are intact and the system keeps running'), logs.text());
      t.is(readFileSync(join(good, 'manifest.json'), 'utf8'), goodManifest);
      for (const s of result.savedStates) t.deepEqual((await engine().verifyState(s.path)).problems, []);
      t.deepEqual((await engine().verifyState(good)).problems, []);
      t.is(result.savedStates.length, 3);
    },
  );
}

const invalidConfigs: [string, (dir: string) => LaunchConfig][] = [
  [
    'a negative maxKeep',
    (dir) => ({ statesDir: dir, statesKeeper: new LatestStatesKeeper({ statesDir: dir, maxKeep: -1 }) }),
  ],
  [
    'a zero maxKeep',
    (dir) => ({ statesDir: dir, statesKeeper: new LatestStatesKeeper({ statesDir: dir, maxKeep: 0 }) }),
  ],
  ['a zero control interval', (dir) => ({ statesDir: dir, controlInterval: 0 })],
  ['a negative pause timeout', (dir) => ({ statesDir: dir, timeoutForAllThreadsPause: -1 })],
  ['a zero statistics interval', (dir) => ({ statesDir: dir, logTickTimeStatisticsInterval: 0 })],
  ['a zero time scale', (dir) => ({ statesDir: dir, timeScale: 0 })],
  ['a negative time scale', (dir) => ({ statesDir: dir, timeScale: -2 })],
  ['a NaN time scale', (dir) => ({ statesDir: dir, timeScale: Number.NaN })],
  ['a zero max uptime', (dir) => ({ statesDir: dir, maxUptime: 0 })],
  ['zero pause attempts', (dir) => ({ statesDir: dir, maxAttemptsToPauseAllThreads: 0 })],
  ['a zero save interval', (dir) => ({ statesDir: dir, saveStateCondition: new PeriodicSaveCondition(0) })],
  ['a negative save interval', (dir) => ({ statesDir: dir, saveStateCondition: new PeriodicSaveCondition(-5) })],
  ['an unknown key', (dir) => ({ statesDir: dir, statesDirectory: dir }) as LaunchConfig],
  [
    'a keeper pattern that cannot match the state names',
    (dir) => ({
      statesDir: dir,
      statesKeeper: new LatestStatesKeeper({ statesDir: dir, maxKeep: 2, stateNamePattern: '*.snapshot' }),
    }),
  ],
  [
    'a keeper watching another directory',
    (dir) => ({ statesDir: dir, statesKeeper: new LatestStatesKeeper({ statesDir: `${dir}-other`, maxKeep: 2 }) }),
  ],
  ['a save condition that is not callable', (dir) => ({ statesDir: dir, saveStateCondition: 42 as never })],
];

test.serial('an invalid launch configuration fails before anything starts or is created', async (t) => {
  const base = tmpDir(t, 'pamiq-bad-config-');
  for (const [what, make] of invalidConfigs) {
    const dir = join(base, what.replace(/\W+/g, '-'));
    const agent = new NoteAgent();
    const env = new TickEnvironment();
    let err: unknown;
    try {
      await launch({
        interaction: new Interaction(agent, env),
        buffers: { notes: new SequentialBuffer(4) },
        config: { ...make(dir), handleSignals: false },
      });
    } catch (e) {
      err = e;
    }
    t.true(
      err instanceof LaunchConfigError || err instanceof RangeError || err instanceof TypeError,
      `${what}: ${String(err)}`,
    );
    t.truthy((err as Error | undefined)?.message, what);
    t.false(existsSync(dir), `${what}: nothing created in statesDir`);
    t.is(env.setupCalls, 0, `${what}: nothing started`);
    t.is(agent.steps, 0, `${what}: no loop ran`);
  }
  t.deepEqual(readdirSync(base), []);
});

/** A digest of every file (path, size, bytes) under `dir`. */
function treeDigest(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      h.update(relative(dir, p));
      if (st.isDirectory()) walk(p);
      else h.update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
}

test.serial(
  'loading a non-state, a missing path, a newer format or other components gives distinct clear errors and changes nothing',
  async (t) => {
    const base = mkdtempSync(join(tmpdir(), 'pamiq-bad-load-'));
    t.teardown(() => rmSync(base, { recursive: true, force: true }));
    const pristine = await makeState(join(base, 'source'));

    const notState = join(base, 'not-a-state');
    mkdirSync(join(notState, 'data'), { recursive: true });
    writeFileSync(join(notState, 'data', 'something.bin'), 'abc');

    const missing = join(base, 'missing.state');

    const newer = join(base, 'newer.state');
    cpSync(pristine, newer, { recursive: true });
    const m = JSON.parse(readFileSync(join(newer, 'manifest.json'), 'utf8'));
    m.formatVersion = 3;
    writeFileSync(join(newer, 'manifest.json'), sealManifest(m));

    // A state of a store with one more component than the system registers.
    const other = join(base, 'other');
    const sys0 = buildSystem({ size: 'small' });
    const store0 = storeFor(sys0, other);
    store0.register('extra', new Counter());
    const otherComponents = await store0.saveState();

    const cases: [string, string, string, RegExp][] = [
      ['a directory that is not a state', notState, 'ENOTSTATE', /no manifest\.json/],
      ['a missing path', missing, 'ENOENT', /not found/],
      ['a state of a newer format', newer, 'ENEWERFORMAT', /format|version/i],
      ['a state with other components', otherComponents, 'EMISMATCH', /extra/],
    ];
    const codes = new Set<string>();
    for (const [what, path, code, detail] of cases) {
      const before = existsSync(path) ? treeDigest(path) : undefined;
      // StateStore.loadState
      const sys = buildSystem({ size: 'small' });
      const snapshot = JSON.stringify(snapshotOf(sys));
      const err = (await t.throwsAsync(storeFor(sys, base).loadState(path), undefined, what)) as Error & {
        code?: string;
      };
      t.is(err.code, code, `${what}: ${err.message}`);
      t.true(err.message.includes(path), `${what}: the message names the path: ${err.message}`);
      t.regex(err.message, detail, what);
      t.is(JSON.stringify(snapshotOf(sys)), snapshot, `${what}: no component changed`);
      codes.add(code);

      // launch({ savedStatePath }) rejects the same way before any loop starts and writes no state.
      const statesDir = join(base, `launch-${code}`);
      const sys2 = buildSystem({ size: 'small' });
      let setups = 0;
      sys2.environment.setup = () => void setups++;
      const launched = launch({
        ...sys2.launchOptions(),
        config: { statesDir, savedStatePath: path, handleSignals: false },
      });
      const err2 = (await t.throwsAsync(launched, undefined, what)) as Error & { code?: string };
      t.is(err2.code, code, `${what} (launch): ${err2.message}`);
      t.is(setups, 0, `${what}: nothing started`);
      t.is(sys2.agent.steps, 0);
      t.deepEqual(readdirSync(statesDir), [], `${what}: no state written, lock released`);
      if (before !== undefined) t.is(treeDigest(path), before, `${what}: the state on disk is unchanged`);
      else t.false(existsSync(path));
    }
    t.is(codes.size, cases.length, 'the errors are distinct');
  },
);

test.serial('a state whose components differ loads with partialLoad, only the components both have', async (t) => {
  const dir = tmpDir(t, 'pamiq-partial-');
  const sys0 = buildSystem({ size: 'small' });
  const store0 = new StateStore({ statesDir: dir });
  store0.register('interaction', sys0.interaction);
  sys0.environment.observations = 7;
  sys0.agent.steps = 7;
  const path = await store0.saveState();
  const sys = buildSystem({ size: 'small' });
  await storeFor(sys, dir).loadState(path, { partial: true });
  t.is(sys.environment.observations, 7);
});
