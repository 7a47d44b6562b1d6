/**
 * A small real system for the operations specs: a fixed-interval interaction whose steps can be held
 * at a gate (to keep a pause waiting), a buffer, a trainer and a keeper.
 */
import {
  Agent,
  Environment,
  FixedIntervalInteraction,
  LatestStatesKeeper,
  LinearModel,
  SequentialBuffer,
  Trainer,
  launch,
  type DataCollector,
  type LaunchConfig,
} from '../../src/index.js';

export class GatedAgent extends Agent<number, number> {
  steps = 0;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  private collector!: DataCollector<number>;
  override onDataCollectorsAttached() {
    this.collector = this.getDataCollector('numbers');
  }
  /** True while a step waits at the gate. */
  blocked = false;
  async step(observation: number) {
    if (this.gate) {
      this.blocked = true;
      await this.gate;
      this.blocked = false;
    }
    this.steps++;
    this.collector.collect(observation);
    return observation;
  }
  /** The next step waits until {@link release}; resolves once a step is waiting. */
  async hold() {
    this.gate ??= new Promise((r) => (this.open = r));
    await until('a step held at the gate', () => this.blocked);
  }
  release() {
    this.open?.();
    this.gate = this.open = undefined;
  }
}

export class Counting extends Environment<number, number> {
  n = 0;
  observe() {
    return ++this.n;
  }
  affect() {}
}

export class CountingTrainer extends Trainer {
  trained = 0;
  constructor() {
    super({ trainingConditionDataUser: 'numbers', minBufferSize: 1, minNewDataCount: 1 });
  }
  train() {
    this.trained++;
    this.getTrainingModel<LinearModel>('m').trainStep([1], 1);
  }
}

export const PERIOD = 0.005;

/** Launches the fixture system on an ephemeral loopback port (override with `config`). */
export function launchFixture(statesDir: string, config: LaunchConfig = {}) {
  const agent = new GatedAgent();
  const trainer = new CountingTrainer();
  const run = launch({
    interaction: FixedIntervalInteraction.withSleepAdjustor(agent, new Counting(), PERIOD),
    models: { m: new LinearModel(1, { learningRate: 0.01 }) },
    buffers: { numbers: new SequentialBuffer<number>(1000) },
    trainers: { counting: trainer },
    config: {
      statesDir,
      handleSignals: false,
      webApiAddress: '127.0.0.1:0',
      statesKeeper: new LatestStatesKeeper({ statesDir, maxKeep: 2 }),
      ...config,
    },
  });
  return { run, agent, trainer };
}

export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
