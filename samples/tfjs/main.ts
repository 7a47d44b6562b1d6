/**
 * A small MLP learning online, with TensorFlow.js, from what the agent collects.
 *
 * Every 10 ms the agent picks a query point x in [-1, 1]² (at random from the saved, seeded global
 * source, or where its model errs most among a few candidates), predicts f(x) with the inference model,
 * and the environment reveals f(x) = sin(3·x0)·cos(2·x1). The (x, f(x)) pairs go into a buffer; the
 * trainer fits the MLP with Adam while the loop runs. States (weights, Adam's slots and step, buffer,
 * random source, clock) are saved every few seconds into ./states-tfjs; `--resume latest` continues.
 * At the end it prints the step rate and the 99th percentile of the gap between agent steps.
 *
 *   npm run sample:tfjs                         # 20 s from scratch
 *   npm run sample:tfjs -- --resume latest      # continue from the newest state
 */
import * as tf from '@tensorflow/tfjs';
import { Command, InvalidArgumentError } from 'commander';
import {
  Agent,
  Environment,
  FixedIntervalInteraction,
  LatestStatesKeeper,
  launch,
  PeriodicSaveCondition,
  readMsgpack,
  stageMsgpack,
  type DataCollector,
} from '../../src/index.js'; // pamiq-core
import { backend } from '../../src/backend/index.js'; // pamiq-core/engine
import { globalRandom } from '../../src/random/index.js'; // pamiq-core/random
import { statePhases, type StatePhaseEvent } from '../../src/state/index.js'; // pamiq-core/state
import type { TfjsInferenceModel } from '../../src/tfjs/index.js'; // pamiq-core/tfjs
import training, { INPUT, type OnlineTrainer } from './training.js';

const target = (x: Float32Array) => Math.sin(3 * x[0]!) * Math.cos(2 * x[1]!);

/** Reveals f at the point the agent asked for. */
class Oracle extends Environment<number | undefined, Float32Array> {
  private revealed: number | undefined;
  observe() {
    return this.revealed;
  }
  affect(x: Float32Array) {
    this.revealed = target(x);
  }
}

/** Queries points, predicts, collects what the environment reveals; measures its own step gaps. */
class Learner extends Agent<number | undefined, Float32Array> {
  private model!: TfjsInferenceModel;
  private collector!: DataCollector<{ x: Float32Array; y: number }>;
  private lastX: Float32Array | undefined;
  private lastPrediction = 0;
  steps = 0;
  recentError = 0;
  readonly gaps: number[] = [];
  private lastAt = 0;

  override onInferenceModelsAttached() {
    this.model = this.getInferenceModel<TfjsInferenceModel>('mlp');
  }
  override onDataCollectorsAttached() {
    this.collector = this.getDataCollector('experience');
  }

  step(revealed: number | undefined): Float32Array {
    const now = performance.now();
    if (this.lastAt) this.gaps.push(now - this.lastAt);
    this.lastAt = now;
    if (revealed !== undefined && this.lastX) {
      const e = this.lastPrediction - revealed;
      this.recentError = 0.99 * this.recentError + 0.01 * e * e;
      this.collector.collect({ x: this.lastX, y: revealed });
    }
    const x = new Float32Array(INPUT).map(() => 2 * globalRandom().random() - 1);
    this.lastPrediction = this.model.infer(tf.tensor2d(x, [1, INPUT]))[0]!;
    this.lastX = x;
    this.steps++;
    return x;
  }

  override async saveState(path: string) {
    await super.saveState(path);
    await stageMsgpack(`${path}/learner.msgpack`, { steps: this.steps, recentError: this.recentError });
  }
  override async loadState(path: string) {
    await super.loadState(path);
    const s = await readMsgpack<{ steps: number; recentError: number }>(`${path}/learner.msgpack`);
    this.steps = s.steps;
    this.recentError = s.recentError;
  }
}

function seconds(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number of seconds > 0');
  return n;
}

const opts = new Command('sample:tfjs')
  .description('An MLP learning online with TensorFlow.js, with periodic saves and exact resume')
  .option('--seconds <s>', 'how long to run', seconds, 20)
  .option('--resume <state>', 'a state to continue from, or "latest"')
  .option('--states-dir <dir>', 'where states go', './states-tfjs')
  .option('--save-every <s>', 'seconds between saves', seconds, 5)
  .option('--threading <mode>', "where training runs: 'worker' (default) or 'main'", 'worker')
  .parse()
  .opts<{ seconds: number; resume?: string; statesDir: string; saveEvery: number; threading: 'worker' | 'main' }>();

const agent = new Learner();
// In main mode the trainer is built here, so its optimizer can be shown; in worker mode the training
// worker builds it from training.ts and only the main thread's side is here.
const trainers = opts.threading === 'main' ? training.trainers() : undefined;
const run = launch({
  interaction: FixedIntervalInteraction.withSleepAdjustor(agent, new Oracle(), 0.01),
  ...(trainers
    ? { models: training.models(), buffers: training.buffers(), trainers }
    : { training: new URL('./training.ts', import.meta.url) }),
  config: {
    threading: opts.threading,
    statesDir: opts.statesDir,
    savedStatePath: opts.resume,
    saveStateCondition: new PeriodicSaveCondition(opts.saveEvery),
    statesKeeper: new LatestStatesKeeper({ statesDir: opts.statesDir, maxKeep: 3 }),
    maxUptime: opts.seconds,
  },
});

await tf.ready();
console.log(
  `tfjs sample: tfjs ${tf.version.tfjs} on ${tf.getBackend()}, engine ${backend().name}, ` +
    `training on the ${opts.threading} thread, ${opts.seconds} s, states in ${opts.statesDir}`,
);
let saves = 0;
statePhases.subscribe((event) => {
  if ((event as StatePhaseEvent).phase === 'commit:end') saves++;
});
const trainer = trainers?.online as OnlineTrainer | undefined;
const started = performance.now();
/** Adam's step count (main mode): saved with the optimizer state, so it continues after --resume. */
const adamSteps = () =>
  trainer ? `${trainer.optimizer('adam').iterations} Adam steps` : 'Adam in the training worker';
const progress = setInterval(() => {
  console.log(
    `step ${agent.steps}  error ${agent.recentError.toFixed(4)}  ${adamSteps()}` +
      `${trainer ? `  loss ${trainer.lastLoss.toFixed(4)}` : ''}  saves ${saves}`,
  );
}, 2000);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

try {
  const result = await run;
  const elapsed = (performance.now() - started) / 1000;
  const gaps = agent.gaps;
  console.log(
    `done (${result.reason}): ${agent.steps} agent steps (${(gaps.length / elapsed).toFixed(1)} steps/s this run, target 100), ` +
      `gap p50 ${percentile(gaps, 50).toFixed(1)} ms, p99 ${percentile(gaps, 99).toFixed(1)} ms, max ${Math.max(...gaps).toFixed(1)} ms; ` +
      `${adamSteps()}, ${result.trainingRuns.runs} training runs, error ${agent.recentError.toFixed(4)}; ` +
      `${result.savedStates.length} states saved, final ${result.finalStatePath}` +
      (result.loadedStatePath ? `, resumed from ${result.loadedStatePath}` : ''),
  );
  if (result.failedSaves.length) process.exitCode = 1;
} finally {
  clearInterval(progress);
}
