import test from 'ava';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  Agent,
  Environment,
  Interaction,
  FixedIntervalInteraction,
  SequentialBuffer,
  Trainer,
  LinearModel,
  LatestStatesKeeper,
  StatesKeeper,
  launch,
  LaunchConfigError,
  StateNotFoundError,
  type DataCollector,
} from '../../src/index.js';
import { captureLogs } from '../../src/log.js';
import { tmpDir } from '../helpers/tmp.js';
import { drive, installFakeClock, until } from '../helpers/fake-time.js';

class CountingAgent extends Agent<number, number> {
  steps = 0;
  paused = 0;
  resumed = 0;
  private collector!: DataCollector<number>;
  override onDataCollectorsAttached() {
    this.collector = this.getDataCollector('numbers');
  }
  step(observation: number) {
    this.steps++;
    this.collector.collect(observation);
    return observation * 2;
  }
  override onPaused() {
    this.paused++;
  }
  override onResumed() {
    this.resumed++;
  }
}

class CountingEnvironment extends Environment<number, number> {
  observed = 0;
  affected = 0;
  observe() {
    return ++this.observed;
  }
  affect() {
    this.affected++;
  }
}

class CountingTrainer extends Trainer {
  trained = 0;
  constructor() {
    super({ trainingConditionDataUser: 'numbers', minBufferSize: 1, minNewDataCount: 1 });
  }
  train() {
    this.trained++;
    this.getTrainingModel<LinearModel>('m').trainStep([1], 1);
  }
}

function system(fail?: () => boolean) {
  const agent = new CountingAgent();
  const environment = new CountingEnvironment();
  const trainer = new CountingTrainer();
  const interaction = FixedIntervalInteraction.withSleepAdjustor(agent, environment, 0.005);
  if (fail) {
    const step = interaction.step.bind(interaction);
    interaction.step = async () => {
      if (fail()) throw new Error('the environment broke');
      await step();
    };
  }
  return {
    agent,
    environment,
    trainer,
    options: {
      interaction,
      models: { m: new LinearModel(1) },
      buffers: { numbers: new SequentialBuffer<number>(100) },
      trainers: { t: trainer },
    },
  };
}

const states = (dir: string) =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.state'))
    .sort();

test.serial('rejects unknown and invalid config fields before anything starts', async (t) => {
  const dir = join(tmpDir(t), 'states');
  const { agent, options } = system();
  const err = await t.throwsAsync(
    launch({ ...options, config: { statesDir: dir, timeScale: 0, maxUptime: -1, bogus: 1 } as never }),
    { instanceOf: LaunchConfigError },
  );
  t.regex(err!.message, /unknown field\(s\) bogus/);
  t.regex(err!.message, /timeScale must be a finite number > 0, got 0/);
  t.regex(err!.message, /maxUptime must be a number > 0, got -1/);
  t.false(existsSync(dir), 'nothing was created');
  t.is(agent.steps, 0);
});

test.serial('rejects a keeper whose directory or pattern cannot match the states written', async (t) => {
  const dir = tmpDir(t);
  const { options } = system();
  const keeper = new LatestStatesKeeper({ statesDir: join(dir, 'other'), maxKeep: 2, stateNamePattern: '*.ckpt' });
  const err = await t.throwsAsync(launch({ ...options, config: { statesDir: dir, statesKeeper: keeper } }), {
    instanceOf: LaunchConfigError,
  });
  t.regex(err!.message, /watches '.*other' but states are written to/);
  t.regex(err!.message, /pattern '\*\.ckpt' does not match the state names/);
});

test.serial('runs both loops, saves PAMIQ-Core’s tree, and logs the original’s lines', async (t) => {
  const dir = tmpDir(t);
  const clock = installFakeClock(t);
  const { agent, environment, trainer, options } = system();
  const logs = captureLogs();
  const result = await drive(
    clock,
    launch({ ...options, config: { statesDir: dir, maxUptime: 0.6, timeScale: 2, handleSignals: false } }),
  );
  logs.stop();
  t.is(result.reason, 'maxUptime');
  t.true(agent.steps > 10, `agent stepped ${agent.steps} times`);
  t.true(environment.affected > 10);
  t.true(trainer.trained > 0);
  const [name] = states(dir);
  t.truthy(name);
  const root = join(dir, name!);
  for (const entry of ['interaction', 'models', 'data', 'trainers', 'time.msgpack', 'manifest.json']) {
    t.true(existsSync(join(root, entry)), entry);
  }
  t.true(existsSync(join(root, 'models', 'm.msgpack')));
  t.true(existsSync(join(root, 'data', 'numbers', 'buffer.msgpack')));
  t.true(existsSync(join(root, 'data', 'numbers', 'timestamps.msgpack')));
  t.true(existsSync(join(root, 'trainers', 't', 'previous_training_time.msgpack')));
  const text = logs.text();
  for (const line of [
    'Setting time scale to 2',
    `Setting up state persistence in directory: ${dir}`,
    'Launching AMI system...',
    'Max uptime reached.',
    'Saving final system state',
    'Final state saved to',
  ]) {
    t.true(text.includes(line), line);
  }
  t.is(result.finalStatePath, root);
});

test.serial('rejects a missing saved state after logging where it looked', async (t) => {
  const dir = tmpDir(t);
  const { agent, options } = system();
  const logs = captureLogs();
  await t.throwsAsync(launch({ ...options, config: { statesDir: dir, savedStatePath: join(dir, 'gone.state') } }), {
    instanceOf: StateNotFoundError,
  });
  logs.stop();
  t.regex(logs.text(), /Loading state from '.*gone\.state'/);
  t.is(agent.steps, 0);
  t.deepEqual(states(dir), []);
});

test.serial('a paused system stays paused after a save and resumes on request', async (t) => {
  const dir = tmpDir(t);
  const { agent, options } = system();
  const run = launch({ ...options, config: { statesDir: dir, handleSignals: false } });
  await until(() => agent.steps > 0, 'the first step');
  t.true(await run.system.pause());
  t.true(run.system.paused);
  t.is(agent.paused, 1);
  const before = agent.steps;
  await run.system.saveState();
  await new Promise((r) => setTimeout(r, 100));
  t.true(run.system.paused, 'still paused after the save');
  t.is(agent.steps, before, 'no step while paused');
  run.system.resume();
  await until(() => agent.steps > before, 'a step after resume');
  run.system.shutdown();
  const result = await run;
  t.is(result.savedStates.length, 2, 'the requested save and the final save');
});

test.serial('hands the final save to the keeper, so maxKeep states remain after shutdown', async (t) => {
  const dir = tmpDir(t);
  const { options } = system();
  const keeper = new LatestStatesKeeper({ statesDir: dir, maxKeep: 2 });
  let conditionSaves = 1; // one save comes from saveStateCondition, the others are requested
  const run = launch({
    ...options,
    config: {
      statesDir: dir,
      statesKeeper: keeper,
      saveStateCondition: () => conditionSaves-- > 0,
      handleSignals: false,
    },
  });
  const requested = [await run.system.saveState(), await run.system.saveState()];
  run.system.shutdown();
  const result = await run;
  t.true(result.savedStates.length >= 3, `${result.savedStates.length} saves`);
  t.is(result.savedStates.at(-1)?.path, result.finalStatePath);
  t.deepEqual(states(dir).length, 2);
  t.true(existsSync(result.finalStatePath!));
  t.false(existsSync(requested[0]!), 'the keeper removed the oldest requested state after the final save');
});

test.serial('an exception in a loop shuts the system down with a final save and rejects with it', async (t) => {
  const dir = tmpDir(t);
  let steps = 0;
  const { options } = system(() => ++steps > 20);
  const err = await t.throwsAsync(launch({ ...options, config: { statesDir: dir, handleSignals: false } }), {
    message: 'the environment broke',
  });
  t.truthy(err);
  t.is(states(dir).length, 1, 'the final save was made');
  t.deepEqual(
    readdirSync(dir).filter((n) => n.startsWith('.pamiq.lock')),
    [],
    'the lock was released',
  );
});

test.serial('a save that fails does not stop the system, and the next one succeeds', async (t) => {
  const dir = tmpDir(t);
  const { agent, options } = system();
  let failNext = true;
  const original = agent.saveState.bind(agent);
  agent.saveState = async (path: string) => {
    if (failNext) {
      failNext = false;
      throw new Error('agent cannot save right now');
    }
    await original(path);
  };
  const run = launch({
    ...options,
    interaction: new Interaction(agent, options.interaction.environment),
    config: { statesDir: dir, handleSignals: false },
  });
  await new Promise((r) => setTimeout(r, 100));
  await t.throwsAsync(
    run.system.saveState(),
    { message: /agent cannot save right now/ },
    'the request learns its save failed',
  );
  const path = await run.system.saveState();
  t.true(existsSync(join(path, 'manifest.json')));
  const stepsAfter = agent.steps;
  await until(() => agent.steps > stepsAfter, 'a step after the saves');
  run.system.shutdown();
  const result = await run;
  t.is(result.failedSaves.length, 1);
  t.regex(String((result.failedSaves[0] as Error).message), /agent cannot save right now/);
  t.is(result.savedStates.length, 2);
  t.is(states(dir).length, 2);
});

test.serial(
  'save requests that arrive while a save is written are coalesced into one, and each learns its path',
  async (t) => {
    const dir = tmpDir(t);
    const { options } = system();
    const run = launch({ ...options, config: { statesDir: dir, handleSignals: false } });
    await new Promise((r) => setTimeout(r, 100));
    const first = run.system.saveState();
    await new Promise((r) => setTimeout(r, 30)); // the first save is under way
    const paths = await Promise.all([first, run.system.saveState(), run.system.saveState(), run.system.saveState()]);
    run.system.shutdown();
    const result = await run;
    // Requests made before a save's capture share that save; the three later ones share the next.
    t.true(new Set(paths).size <= 2, `${new Set(paths).size} distinct states for 4 requests`);
    for (const p of paths) t.true(existsSync(p));
    t.is(result.savedStates.length, new Set(paths).size + 1, 'plus the final save');
  },
);

test.serial(
  'a save requested before the loops start is served, and one left open at shutdown gets the final save',
  async (t) => {
    const dir = tmpDir(t);
    const { options } = system();
    const run = launch({ ...options, config: { statesDir: dir, handleSignals: false } });
    const early = run.system.saveState();
    const earlyPath = await early;
    t.true(existsSync(earlyPath));
    run.system.shutdown();
    const late = run.system.saveState();
    const result = await run;
    t.is(await late, result.finalStatePath!);
  },
);

test.serial('logs the step-time statistics line at the configured interval', async (t) => {
  const dir = tmpDir(t);
  const clock = installFakeClock(t);
  const { options } = system();
  const logs = captureLogs();
  await drive(
    clock,
    launch({
      ...options,
      config: { statesDir: dir, maxUptime: 0.5, logTickTimeStatisticsInterval: 0.1, handleSignals: false },
    }),
  );
  logs.stop();
  const lines = logs.lines.filter((l) => /Step time: \S+ ± \S+ \[s\] in \d+ steps\./.test(l));
  t.true(lines.length >= 2, logs.text());
});

/** Removes every state but the newest it saw, but only once armed: a keeper that acts between saves. */
class ArmedKeeper extends StatesKeeper {
  armed = false;
  readonly seen: string[] = [];
  constructor(readonly statesDir: string) {
    super();
  }
  override append(path: string): void {
    this.seen.push(path);
  }
  override needsCleanup(): boolean {
    return this.armed && this.seen.length > 1;
  }
  selectRemovalStates(): string[] {
    if (!this.armed) return [];
    const old = this.seen.slice(0, -1);
    this.seen.splice(0, this.seen.length - 1);
    return old;
  }
}

test.serial(
  "the control loop runs a keeper's cleanup on a tick when it asks, without waiting for a save",
  async (t) => {
    const dir = join(tmpDir(t), 'states');
    const keeper = new ArmedKeeper(dir);
    const { options } = system();
    const run = launch({ ...options, config: { statesDir: dir, handleSignals: false, statesKeeper: keeper } });
    for (let i = 0; i < 3; i++) await run.system.saveState();
    t.is(states(dir).length, 3, 'an unarmed keeper selects nothing');
    keeper.armed = true;
    const deadline = Date.now() + 30_000;
    while (states(dir).length > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    t.is(states(dir).length, 1, 'removed on a tick, with no save in between');
    run.system.shutdown();
    const result = await run;
    t.is(result.savedStates.length, 4, 'three requested saves and the final one');
    t.is(result.finalSaveError, undefined);
    t.is(result.trainingRuns.trainers[0]?.name, 't');
  },
);
