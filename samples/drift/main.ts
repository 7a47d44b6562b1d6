/**
 * A continual-learning agent that tracks a drifting linear target online.
 *
 * Every 20 ms the environment shows a feature vector x and, one step later, the target y = w(t)·x + noise,
 * where w(t) keeps drifting. The agent predicts y with its inference model, collects (x, y) pairs
 * into a buffer, and a trainer (training.ts, in a training worker thread) fits a LinearModel on the
 * newest data while the agent keeps acting. States are
 * saved every few seconds into ./states (the 5 newest kept); `--resume latest` continues from the
 * newest: step count, model parameters, buffer contents, drift and clock all continue.
 *
 *   npm start                          # 30 s from scratch
 *   npm start -- --resume latest       # continue
 *   npm start -- --seconds 10 --states-dir /tmp/drift-states
 *   npm start -- --threading main      # both loops on the main thread (debugging)
 *
 * Exits with code 1 when a save failed (the states that were committed are intact).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
  type LinearInferenceModel,
} from '../../src/index.js'; // pamiq-core
import { backend } from '../../src/backend/index.js'; // pamiq-core/engine
import { statePhases, type StatePhaseEvent } from '../../src/state/index.js'; // pamiq-core/state
import { DIM } from './training.js';

/** A small seeded PRNG (mulberry32) so the drift is reproducible and its position can be saved. */
class Rng {
  constructor(public state: number) {}
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  normal(): number {
    return Math.sqrt(-2 * Math.log(this.next() + 1e-12)) * Math.cos(2 * Math.PI * this.next());
  }
}

interface Observation {
  x: Float32Array;
  /** The target of the previous observation, now revealed. */
  previousTarget: number | undefined;
}

/** The world: a target weight vector that drifts a little every step. */
class DriftingTarget extends Environment<Observation, number> {
  private weights: Float32Array = new Float32Array(DIM).map((_, i) => Math.sin(i));
  private rng = new Rng(1234);
  private pending: number | undefined;
  step = 0;

  observe(): Observation {
    for (let i = 0; i < DIM; i++) this.weights[i]! += 0.01 * this.rng.normal();
    const x = new Float32Array(DIM).map(() => this.rng.normal());
    let y = 0;
    for (let i = 0; i < DIM; i++) y += this.weights[i]! * x[i]!;
    const previousTarget = this.pending;
    this.pending = y + 0.05 * this.rng.normal();
    this.step++;
    return { x, previousTarget };
  }

  affect(_prediction: number): void {}

  override async saveState(path: string) {
    await stageMsgpack(`${path}.msgpack`, {
      weights: this.weights.slice(),
      rng: this.rng.state,
      pending: this.pending ?? null,
      step: this.step,
    });
  }

  override async loadState(path: string) {
    const s = await readMsgpack<{ weights: Float32Array; rng: number; pending: number | null; step: number }>(
      `${path}.msgpack`,
    );
    this.weights = s.weights;
    this.rng = new Rng(s.rng);
    this.pending = s.pending ?? undefined;
    this.step = s.step;
  }
}

/** Predicts, scores its previous prediction, and collects (x, y) pairs. */
class TrackingAgent extends Agent<Observation, number> {
  private model!: LinearInferenceModel;
  private collector!: DataCollector<{ x: Float32Array; y: number }>;
  private lastX: Float32Array | undefined;
  private lastPrediction: number | undefined;
  steps = 0;
  recentLoss = 0;

  override onInferenceModelsAttached() {
    this.model = this.getInferenceModel<LinearInferenceModel>('tracker');
  }

  override onDataCollectorsAttached() {
    this.collector = this.getDataCollector('experience');
  }

  step({ x, previousTarget }: Observation): number {
    if (previousTarget !== undefined && this.lastX && this.lastPrediction !== undefined) {
      const err = this.lastPrediction - previousTarget;
      this.recentLoss = 0.98 * this.recentLoss + 0.02 * err * err;
      this.collector.collect({ x: this.lastX, y: previousTarget });
    }
    this.lastX = x;
    this.lastPrediction = this.model.infer(x);
    this.steps++;
    return this.lastPrediction;
  }

  // PAMIQ-Core's pattern: call super first, create the directory, write your own files.
  override async saveState(path: string) {
    await super.saveState(path);
    mkdirSync(path, { recursive: true });
    writeFileSync(join(path, 'episode_stats.txt'), `steps: ${this.steps}\nrecent_loss: ${this.recentLoss}\n`);
  }

  override async loadState(path: string) {
    await super.loadState(path);
    for (const line of readFileSync(join(path, 'episode_stats.txt'), 'utf8').trim().split('\n')) {
      const [key, value] = line.split(': ');
      if (key === 'steps') this.steps = Number(value);
      if (key === 'recent_loss') this.recentLoss = Number(value);
    }
  }
}

function seconds(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number of seconds > 0');
  return n;
}

const opts = new Command('drift')
  .description('Track a drifting target online, with periodic saves')
  .option('--seconds <s>', 'how long to run', seconds, 30)
  .option('--resume <state>', 'a state to continue from, or "latest"')
  .option('--states-dir <dir>', 'where states go', './states')
  .option('--save-every <s>', 'seconds between saves', seconds, 5)
  .option('--threading <mode>', "where training runs: 'worker' or 'main'", 'worker')
  .option('--api <host:port|off>', 'web API address for pamiq console / pamiq ctl / metrics (default localhost:8391)')
  .parse()
  .opts<{
    seconds: number;
    resume?: string;
    statesDir: string;
    saveEvery: number;
    threading: 'worker' | 'main';
    api?: string;
  }>();

const agent = new TrackingAgent();
const environment = new DriftingTarget();
const run = launch({
  interaction: FixedIntervalInteraction.withSleepAdjustor(agent, environment, 0.02),
  training: new URL('./training.ts', import.meta.url),
  config: {
    threading: opts.threading,
    statesDir: opts.statesDir,
    savedStatePath: opts.resume,
    saveStateCondition: new PeriodicSaveCondition(opts.saveEvery),
    statesKeeper: new LatestStatesKeeper({ statesDir: opts.statesDir, maxKeep: 5 }),
    maxUptime: opts.seconds,
    // Unset: launch's default (PAMIQ_WEB_API_ADDRESS, else localhost:8391).
    webApiAddress: opts.api === 'off' ? null : opts.api,
  },
});

console.log(
  `drift sample: backend ${backend().name}, training on the ${opts.threading} thread, ${opts.seconds} s, states in ${opts.statesDir}`,
);
let saves = 0;
statePhases.subscribe((event) => {
  if ((event as StatePhaseEvent).phase === 'commit:end') saves++;
});
const progress = setInterval(() => {
  console.log(`step ${agent.steps}  loss ${agent.recentLoss.toFixed(4)}  saves ${saves}`);
}, 2000);

try {
  const result = await run;
  console.log(
    `done (${result.reason}): ${agent.steps} steps, loss ${agent.recentLoss.toFixed(4)}, ` +
      `${result.savedStates.length} states saved, final ${result.finalStatePath}` +
      (result.loadedStatePath ? `, resumed from ${result.loadedStatePath}` : ''),
  );
  if (result.failedSaves.length) {
    console.error(`${result.failedSaves.length} save(s) failed; see the errors above`);
    process.exitCode = 1;
  }
} finally {
  clearInterval(progress);
}
