import test from 'ava';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  Agent,
  Environment,
  FixedIntervalInteraction,
  Interaction,
  IntervalAdjustor,
  SleepIntervalAdjustor,
} from '../../src/interaction/index.js';
import { tmpDir } from '../helpers/tmp.js';

/** Records every call on a shared log, tagged with the part's name. */
class LogAgent extends Agent<string, string> {
  constructor(
    readonly tag: string,
    readonly log: string[],
    children?: Record<string, Agent>,
  ) {
    super(children);
  }
  async step(obs: string) {
    this.log.push(`${this.tag}.step(${obs})`);
    return `act-${obs}`;
  }
  override async setup() {
    this.log.push(`${this.tag}.setup`);
    await super.setup();
  }
  override async teardown() {
    this.log.push(`${this.tag}.teardown`);
    await super.teardown();
  }
  override async onPaused() {
    this.log.push(`${this.tag}.onPaused`);
    await super.onPaused();
  }
  override async onResumed() {
    this.log.push(`${this.tag}.onResumed`);
    await super.onResumed();
  }
  override async saveState(path: string) {
    this.log.push(`${this.tag}.save ${path}`);
    await super.saveState(path);
  }
  override async loadState(path: string) {
    this.log.push(`${this.tag}.load ${path}`);
    await super.loadState(path);
  }
}

class LogEnv extends Environment<string, string> {
  constructor(readonly log: string[]) {
    super();
  }
  observe() {
    this.log.push('env.observe');
    return 'obs';
  }
  async affect(action: string) {
    this.log.push(`env.affect(${action})`);
  }
  override setup() {
    this.log.push('env.setup');
  }
  override teardown() {
    this.log.push('env.teardown');
  }
  override onPaused() {
    this.log.push('env.onPaused');
  }
  override onResumed() {
    this.log.push('env.onResumed');
  }
  override saveState(path: string) {
    this.log.push(`env.save ${path}`);
  }
  override loadState(path: string) {
    this.log.push(`env.load ${path}`);
  }
}

function pair() {
  const log: string[] = [];
  return { log, interaction: new Interaction(new LogAgent('agent', log), new LogEnv(log)) };
}

test('a step observes, lets the agent decide, then affects the environment', async (t) => {
  const { log, interaction } = pair();
  await interaction.step();
  t.deepEqual(log, ['env.observe', 'agent.step(obs)', 'env.affect(act-obs)']);
});

test('lifecycle events reach the agent, then the environment', async (t) => {
  const { log, interaction } = pair();
  await interaction.setup();
  await interaction.onPaused();
  await interaction.onResumed();
  await interaction.teardown();
  t.deepEqual(log, [
    'agent.setup', 'env.setup',
    'agent.onPaused', 'env.onPaused',
    'agent.onResumed', 'env.onResumed',
    'agent.teardown', 'env.teardown',
  ]);
});

test('an interaction saves into agent/ and environment/, creating the directory', async (t) => {
  const dir = tmpDir(t);
  const { log, interaction } = pair();
  const path = join(dir, 'interaction');
  await interaction.saveState(path);
  t.true(existsSync(path));
  await interaction.loadState(path);
  t.deepEqual(log, [
    `agent.save ${join(path, 'agent')}`, `env.save ${join(path, 'environment')}`,
    `agent.load ${join(path, 'agent')}`, `env.load ${join(path, 'environment')}`,
  ]);
});

test('an interaction saves into a directory that already exists', async (t) => {
  const dir = tmpDir(t);
  mkdirSync(join(dir, 'interaction'));
  await t.notThrowsAsync(async () => pair().interaction.saveState(join(dir, 'interaction')));
});

class CountingAdjustor extends IntervalAdjustor {
  resets = 0;
  adjusts = 0;
  override reset() {
    this.resets++;
    return super.reset();
  }
  protected adjustImpl() {
    this.adjusts++;
  }
}

test('a fixed-interval interaction resets its adjustor at setup and adjusts after each step', async (t) => {
  const log: string[] = [];
  const adjustor = new CountingAdjustor(0.01);
  const interaction = new FixedIntervalInteraction(new LogAgent('agent', log), new LogEnv(log), adjustor);
  await interaction.setup();
  t.is(adjustor.resets, 1);
  await interaction.step();
  await interaction.step();
  t.is(adjustor.adjusts, 2);
  t.is(log.filter((l) => l === 'env.observe').length, 2);
});

test('withSleepAdjustor builds a sleep adjustor with the interval and offset', (t) => {
  const log: string[] = [];
  const interaction = FixedIntervalInteraction.withSleepAdjustor(new LogAgent('a', log), new LogEnv(log), 0.5, 0.1);
  t.true(interaction.adjustor instanceof SleepIntervalAdjustor);
  t.is(interaction.adjustor.interval, 0.5);
  t.is(interaction.adjustor.offset, 0.1);
});

test.serial('an adjustor before its first reset reports an infinite period and does not wait', async (t) => {
  const adjustor = new SleepIntervalAdjustor(10);
  const start = performance.now();
  t.is(await adjustor.adjust(), Infinity);
  t.true(performance.now() - start < 50);
});

for (const interval of [0.01, 0.05]) {
  test.serial(`a sleep adjustor keeps a ${interval * 1000} ms period`, async (t) => {
    const adjustor = new SleepIntervalAdjustor(interval);
    adjustor.reset();
    const periods: number[] = [];
    const n = interval < 0.02 ? 30 : 10;
    for (let i = 0; i < n; i++) periods.push(await adjustor.adjust());
    const mean = periods.reduce((a, b) => a + b, 0) / n;
    // A period is never shorter than the interval; how much longer depends on the machine's load (the
    // original pins ±1 ms on an idle machine), so the upper bound only catches a doubled sleep.
    t.true(mean >= interval * 0.95, `mean period ${mean}`);
    t.true(mean < interval * 2, `mean period ${mean}`);
  });
}

test.serial('the offset shortens only the first period after a reset', async (t) => {
  const adjustor = new SleepIntervalAdjustor(0.06, 0.04);
  adjustor.reset();
  t.is(adjustor.timeToWait, 0.06 - 0.04);
  const first = await adjustor.adjust();
  t.is(adjustor.timeToWait, 0.06);
  const second = await adjustor.adjust();
  t.true(first < 0.045, `first period ${first}`);
  t.true(second > 0.05, `second period ${second}`);
  adjustor.reset();
  t.is(adjustor.timeToWait, 0.06 - 0.04);
});

test('an interval that is negative or not finite throws a RangeError', (t) => {
  t.throws(() => new SleepIntervalAdjustor(-1), { instanceOf: RangeError });
  t.throws(() => new SleepIntervalAdjustor(Number.NaN), { instanceOf: RangeError });
});
