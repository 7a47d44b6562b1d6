/**
 * The worker-thread runtime: training in a worker overlaps the agent's steps, parameters reach the
 * inference models whole, states cross between the threading modes, and failures in the worker end
 * the system the right way. Real threads, real saves; no real-time upper bounds.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  LaunchConfigError,
  launch,
  LinearModel,
  type LinearInferenceModel,
  WorkerDiedError,
  type LaunchResult,
} from '../../src/index.js';
import { TrainingModuleError } from '../../src/launch/index.js';
import { readMsgpack } from '../../src/persistence/component-files.js';
import { engine } from '../../src/backend/select.js';
import { tmpDir } from '../helpers/tmp.js';
import { probeInteraction } from './fixtures/interaction.js';

const TRAINING = new URL('./fixtures/training.ts', import.meta.url);
const here = fileURLToPath(new URL('.', import.meta.url));

const states = (dir: string) =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.state'))
    .sort();

async function until(cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

test.serial('worker mode: the agent keeps stepping while train() runs (fails if the loops take turns)', async (t) => {
  const shared = new SharedArrayBuffer(8);
  const { agent, interaction } = probeInteraction(shared);
  const run = launch({
    interaction,
    training: TRAINING,
    trainingOptions: { shared, burnMs: 150 },
    config: { statesDir: tmpDir(t), handleSignals: false },
  });
  await until(() => Atomics.load(new Int32Array(shared), 1) >= 3, 'three training runs');
  run.system.shutdown();
  const result = await run;
  t.is(result.threading, 'worker');
  t.true(agent.stepsDuringTraining > 0, `steps during training: ${agent.stepsDuringTraining} of ${agent.steps}`);
});

test.serial('main mode: the same probe sees no step during train() (the loops take turns)', async (t) => {
  const shared = new SharedArrayBuffer(8);
  const { agent, interaction } = probeInteraction(shared);
  const run = launch({
    interaction,
    training: TRAINING,
    trainingOptions: { shared, burnMs: 50 },
    config: { statesDir: tmpDir(t), handleSignals: false, threading: 'main' },
  });
  await until(() => Atomics.load(new Int32Array(shared), 1) >= 3 && agent.steps >= 3, 'runs and steps');
  run.system.shutdown();
  const result = await run;
  t.is(result.threading, 'main');
  t.is(agent.stepsDuringTraining, 0);
});

test.serial('worker mode: the trained parameters reach the inference model (the fit converges)', async (t) => {
  const shared = new SharedArrayBuffer(8);
  const { agent, interaction } = probeInteraction(shared);
  const run = launch({
    interaction,
    training: TRAINING,
    trainingOptions: { shared },
    config: { statesDir: tmpDir(t), handleSignals: false },
  });
  const close = () => {
    const w = agent.steps > 0 ? agent.weights() : undefined;
    return w !== undefined && Math.abs(w[0]! - 2) < 0.05 && Math.abs(w[1]! + 1) < 0.05;
  };
  t.false(close(), 'starts away from the target');
  await until(close, 'the inference weights to approach [2, -1]');
  run.system.shutdown();
  const result = await run;
  const saved = await weightsOf(result.finalStatePath!);
  t.true(Math.abs(saved[0]! - 2) < 0.05 && Math.abs(saved[1]! + 1) < 0.05, `saved weights ${saved}`);
});

test.serial('model sync: the agent never sees a half-written update', async (t) => {
  const { agent, interaction } = probeInteraction(undefined, 0.002);
  const run = launch({
    interaction,
    training: TRAINING,
    trainingOptions: { uniform: 1 << 16 },
    config: { statesDir: tmpDir(t), handleSignals: false },
  });
  await until(() => agent.seen.size >= 50 && agent.steps >= 500, '50 distinct updates over 500 steps');
  run.system.shutdown();
  await run;
  t.is(agent.torn, 0, `torn reads in ${agent.steps} steps`);
  t.true(agent.seen.size >= 50);
});

/** Runs `threading` with training for a while, then returns the final state's path. */
async function trainedState(t: ExecutionContext, threading: 'worker' | 'main', dir: string) {
  const shared = new SharedArrayBuffer(8);
  const { interaction } = probeInteraction(shared);
  const run = launch({
    interaction,
    training: TRAINING,
    trainingOptions: { shared },
    config: { statesDir: dir, handleSignals: false, threading },
  });
  await until(() => Atomics.load(new Int32Array(shared), 1) >= 20, '20 training runs');
  run.system.shutdown();
  const result = await run;
  t.truthy(result.finalStatePath);
  return result.finalStatePath!;
}

async function weightsOf(state: string): Promise<Float32Array> {
  return (await readMsgpack<{ weights: Float32Array }>(join(state, 'models', 'policy.msgpack'))).weights;
}

for (const [from, to] of [
  ['worker', 'main'],
  ['main', 'worker'],
] as const) {
  test.serial(`a state saved in ${from} mode loads in ${to} mode: models, buffers, trainers`, async (t) => {
    const dir = tmpDir(t);
    const saved = await trainedState(t, from, dir);
    const savedWeights = await weightsOf(saved);
    const savedStamps = await readMsgpack<Float64Array>(join(saved, 'data', 'experience', 'timestamps.msgpack'));
    const savedPrevious = await readMsgpack<number>(join(saved, 'trainers', 'fit', 'previous_training_time.msgpack'));

    // Resume without training (the trainer never becomes trainable): what was loaded is saved again.
    const { agent, interaction } = probeInteraction();
    const run = launch({
      interaction,
      training: TRAINING,
      trainingOptions: { minBufferSize: 1e9 },
      config: { statesDir: dir, handleSignals: false, threading: to, savedStatePath: saved },
    });
    await until(() => agent.steps >= 5, 'five steps');
    t.deepEqual(agent.weights(), savedWeights, 'the inference model starts from the loaded weights');
    run.system.shutdown();
    const result: LaunchResult = await run;
    t.is(result.loadedStatePath, saved);
    const final = result.finalStatePath!;
    t.deepEqual(await weightsOf(final), savedWeights);
    const stamps = await readMsgpack<Float64Array>(join(final, 'data', 'experience', 'timestamps.msgpack'));
    // The buffer held 1000 at most: without eviction, the loaded items come first, unchanged.
    t.true(stamps.length >= savedStamps.length);
    if (stamps.length < 1000) t.deepEqual(stamps.subarray(0, savedStamps.length), savedStamps);
    t.is(await readMsgpack<number>(join(final, 'trainers', 'fit', 'previous_training_time.msgpack')), savedPrevious);
  });
}

test.serial('a trainer that throws in the worker: reported with its stack, then one final save', async (t) => {
  const dir = tmpDir(t);
  const { interaction } = probeInteraction();
  const err = await t.throwsAsync(
    launch({
      interaction,
      training: TRAINING,
      trainingOptions: { throwAfter: 2 },
      config: { statesDir: dir, handleSignals: false },
    }),
  );
  t.is(err?.name, 'RangeError');
  t.regex(err?.message ?? '', /failed on purpose after 2 runs/);
  t.regex(err?.stack ?? '', /training\.ts/);
  t.regex(err?.stack ?? '', /in the training worker/);
  t.is(states(dir).length, 1, 'the final save was made');
});

test.serial('a worker that dies: reported, no final save, no state on disk touched', async (t) => {
  const dir = tmpDir(t);
  const first = await trainedState(t, 'worker', dir);
  const before = states(dir).map((n) => [n, statSync(join(dir, n, 'manifest.json')).mtimeMs]);
  const { interaction } = probeInteraction();
  const err = await t.throwsAsync(
    launch({
      interaction,
      training: TRAINING,
      trainingOptions: { exitAfter: 1, exitCode: 7 },
      config: { statesDir: dir, handleSignals: false, savedStatePath: 'latest' },
    }),
    { instanceOf: WorkerDiedError },
  );
  t.regex(err?.message ?? '', /exited unexpectedly with code 7/);
  t.is((err as WorkerDiedError).exitCode, 7);
  t.deepEqual(
    states(dir).map((n) => [n, statSync(join(dir, n, 'manifest.json')).mtimeMs]),
    before,
  );
  t.deepEqual(states(dir), [first.split('/').pop()]);
});

test.serial('pause stops both threads, resume restarts them, shutdown ends in a final save', async (t) => {
  const shared = new SharedArrayBuffer(8);
  const runs = () => Atomics.load(new Int32Array(shared), 1);
  const { agent, interaction } = probeInteraction(shared);
  const dir = tmpDir(t);
  const run = launch({
    interaction,
    training: TRAINING,
    trainingOptions: { shared, burnMs: 5 },
    config: { statesDir: dir, handleSignals: false },
  });
  await until(() => runs() >= 2 && agent.steps >= 2, 'running loops');
  t.true(await run.system.pause());
  t.true(run.system.paused);
  const [r1, s1] = [runs(), agent.steps];
  await delay(300);
  t.is(runs(), r1, 'no training run while paused');
  t.is(agent.steps, s1, 'no agent step while paused');
  run.system.resume();
  await until(() => runs() > r1 && agent.steps > s1, 'both loops to run again');
  const saved = await run.system.saveState();
  t.true(states(dir).includes(saved.split('/').pop()!));
  run.system.shutdown();
  const result = await run;
  t.is(result.reason, 'request');
  t.is(states(dir).length, 2);
});

test.serial('SIGINT in worker mode ends in one final save', async (t) => {
  const dir = tmpDir(t);
  const child = spawn(process.execPath, ['--import=tsx', join(here, 'fixtures', 'sigint-main.ts'), dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await until(() => out.includes('READY'), `READY (stderr: ${err.slice(-2000)})`, 120_000);
  child.kill('SIGINT');
  t.is(await exited, 0, err.slice(-3000));
  t.regex(out, /DONE signal worker /);
  t.is(states(dir).length, 1);
  t.regex(err, /Final state saved/);
});

test.serial('config errors: a module and instances together, or worker mode for instances', async (t) => {
  const { interaction } = probeInteraction();
  await t.throwsAsync(
    launch({ interaction, training: TRAINING, models: { m: new LinearModel(1) }, config: { statesDir: tmpDir(t) } }),
    { instanceOf: LaunchConfigError, message: /either as a module .* or as instances \(models\)/ },
  );
  await t.throwsAsync(
    launch({ interaction, models: { m: new LinearModel(1) }, config: { statesDir: tmpDir(t), threading: 'worker' } }),
    { instanceOf: LaunchConfigError, message: /component instances cannot move to another thread/ },
  );
});

test.serial('training module errors are named: no default export, a model that cannot be shared', async (t) => {
  const { interaction } = probeInteraction();
  await t.throwsAsync(
    launch({
      interaction,
      training: new URL('./fixtures/no-default.ts', import.meta.url),
      config: { statesDir: tmpDir(t), handleSignals: false },
    }),
    { instanceOf: TrainingModuleError, message: /must export defineTraining/ },
  );
  const second = probeInteraction();
  const err = await t.throwsAsync(
    launch({
      interaction: second.interaction,
      training: new URL('./fixtures/bad-training.ts', import.meta.url),
      config: { statesDir: tmpDir(t), handleSignals: false },
    }),
  );
  t.regex(err?.message ?? '', /Model 'opaque' \(OpaqueModel\) cannot be trained in a worker thread/);
});

const DIST = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
const distBuilt = (() => {
  try {
    return statSync(DIST).isFile();
  } catch {
    return false;
  }
})();
(distBuilt ? test.serial : test.serial.skip)(
  `worker mode from compiled JavaScript without tsx${distBuilt ? '' : ' — SKIPPED: dist/ is not built (npm run build:ts)'}`,
  async (t) => {
    const dir = tmpDir(t);
    const child = spawn(process.execPath, [join(here, 'fixtures', 'compiled-main.mjs'), dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    t.is(code, 0, err.slice(-3000));
    const result = JSON.parse(out.trim().split('\n').pop()!) as {
      threading: string;
      final: string;
      execArgv: string[];
    };
    t.is(result.threading, 'worker');
    t.deepEqual(result.execArgv, []);
    t.is(states(dir).length, 1);
  },
);

test.serial(
  'an inference-thread-only model stays on the main thread: used by the agent, saved and loaded there',
  async (t) => {
    const dir = tmpDir(t);
    const { agent, interaction } = probeInteraction();
    const run = launch({
      interaction,
      training: TRAINING,
      trainingOptions: { fixed: [3, 4] },
      config: { statesDir: dir, handleSignals: false },
    });
    await until(() => agent.steps >= 3, 'three steps');
    const fixed = agent.getInferenceModel<LinearInferenceModel>('fixed');
    t.is(fixed.infer(Float32Array.of(1, 1)), 7);
    run.system.shutdown();
    const first = await run;
    t.deepEqual(
      [
        ...(await readMsgpack<{ weights: Float32Array }>(join(first.finalStatePath!, 'models', 'fixed.msgpack')))
          .weights,
      ],
      [3, 4],
    );

    // Loaded on the main thread: a state with other weights wins over the factory's.
    const second = probeInteraction();
    const resumed = launch({
      interaction: second.interaction,
      training: TRAINING,
      trainingOptions: { fixed: [0, 0] },
      config: { statesDir: dir, handleSignals: false, savedStatePath: first.finalStatePath },
    });
    await until(() => second.agent.steps >= 1, 'a step');
    t.is(second.agent.getInferenceModel<LinearInferenceModel>('fixed').infer(Float32Array.of(1, 1)), 7);
    resumed.system.shutdown();
    await resumed;
  },
);

test.serial("snapshot() from a worker's component: its directory is copied into the state and verified", async (t) => {
  const dir = tmpDir(t);
  const src = tmpDir(t);
  const big = Buffer.alloc(3 << 20, 7);
  writeFileSync(join(src, 'big.bin'), big);
  mkdirSync(join(src, 'sub'));
  writeFileSync(join(src, 'sub', 'note.txt'), 'kept');
  const { agent, interaction } = probeInteraction();
  const run = launch({
    interaction,
    training: TRAINING,
    trainingOptions: { snapshotDir: src },
    config: { statesDir: dir, handleSignals: false },
  });
  await until(() => agent.steps >= 3, 'three steps');
  run.system.shutdown();
  const result = await run;
  const files = join(result.finalStatePath!, 'trainers', 'fit', 'files');
  t.deepEqual(readFileSync(join(files, 'big.bin')), big);
  t.is(readFileSync(join(files, 'sub', 'note.txt'), 'utf8'), 'kept');
  const report = await engine().verifyState(result.finalStatePath!);
  t.deepEqual(report.problems, []);
  t.true(report.manifest.files.some((f) => f.path === 'trainers/fit/files/big.bin'));
});
