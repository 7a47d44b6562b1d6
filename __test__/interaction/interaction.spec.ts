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
import { FakeClock, TimeController } from '../../src/time/index.js';
import { tmpDir } from '../helpers/tmp.js';

/** A pamiq clock on a fake real clock: periods are driven by advance(), never by sleeping. */
function fakeTime(): { clock: FakeClock; time: TimeController } {
  const clock = new FakeClock();
  return { clock, time: new TimeController(clock) };
}

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
    'agent.setup',
    'env.setup',
    'agent.onPaused',
    'env.onPaused',
    'agent.onResumed',
    'env.onResumed',
    'agent.teardown',
    'env.teardown',
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
    `agent.save ${join(path, 'agent')}`,
    `env.save ${join(path, 'environment')}`,
    `agent.load ${join(path, 'agent')}`,
    `env.load ${join(path, 'environment')}`,
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

test('an adjustor before its first reset reports an infinite period and does not wait', async (t) => {
  const { clock, time } = fakeTime();
  const adjustor = new SleepIntervalAdjustor(10, 0, time);
  // The fake clock never moves here: a wait would never end and the spec would time out.
  t.is(await adjustor.adjust(), Infinity);
  t.is(clock.pending, 0, 'no timer was set');
  t.is(clock.now(), 0);
});

for (const interval of [0.01, 0.05]) {
  test(`a sleep adjustor keeps a ${interval * 1000} ms period`, async (t) => {
    const { clock, time } = fakeTime();
    const adjustor = new SleepIntervalAdjustor(interval, 0, time);
    adjustor.reset();
    const ms = interval * 1000;
    for (let i = 0; i < 5; i++) {
      const step = adjustor.adjust();
      let period: number | undefined;
      void step.then((p) => (period = p));
      await clock.advance(ms - 1);
      t.is(period, undefined, `period ${i} ended early`);
      await clock.advance(1);
      t.true(Math.abs(period! - interval) < 1e-9, `period ${i}: ${period}`);
    }
  });
}

test('a step that overruns the period is not compensated: the next period is whole', async (t) => {
  const { clock, time } = fakeTime();
  const adjustor = new SleepIntervalAdjustor(0.02, 0, time);
  adjustor.reset();
  await clock.advance(35); // a late step
  t.true(Math.abs((await adjustor.adjust()) - 0.035) < 1e-9, 'no wait after an overrun');
  let period: number | undefined;
  void adjustor.adjust().then((p) => (period = p));
  await clock.advance(19);
  t.is(period, undefined);
  await clock.advance(1);
  t.true(Math.abs(period! - 0.02) < 1e-9, `${period}`);
});

test('a sleep adjustor follows the time scale and does not wait while the clock is paused', async (t) => {
  const { clock, time } = fakeTime();
  time.setTimeScale(2);
  const adjustor = new SleepIntervalAdjustor(0.02, 0, time);
  adjustor.reset();
  let period: number | undefined;
  void adjustor.adjust().then((p) => (period = p));
  await clock.advance(10); // 20 ms of pamiq time at scale 2
  t.true(Math.abs(period! - 0.02) < 1e-9, `${period}`);
  time.pause();
  const paused = await adjustor.adjust();
  t.is(paused, 0, 'returns at once, and no pamiq time passed');
});

test('the offset shortens only the first period after a reset', async (t) => {
  const { clock, time } = fakeTime();
  const adjustor = new SleepIntervalAdjustor(0.06, 0.04, time);
  adjustor.reset();
  t.is(adjustor.timeToWait, 0.06 - 0.04);
  const periods: number[] = [];
  void adjustor.adjust().then((p) => periods.push(p));
  await clock.advance(20);
  t.is(periods.length, 1, 'the first period ends after 20 ms');
  t.is(adjustor.timeToWait, 0.06);
  void adjustor.adjust().then((p) => periods.push(p));
  await clock.advance(59);
  t.is(periods.length, 1, 'the second lasts the whole interval');
  await clock.advance(1);
  t.true(Math.abs(periods[0]! - 0.02) < 1e-9 && Math.abs(periods[1]! - 0.06) < 1e-9, `${periods}`);
  adjustor.reset();
  t.is(adjustor.timeToWait, 0.06 - 0.04);
});

test('a fixed-interval interaction built with a sleep adjustor steps once per period', async (t) => {
  const { clock, time } = fakeTime();
  const log: string[] = [];
  const interaction = FixedIntervalInteraction.withSleepAdjustor(
    new LogAgent('a', log),
    new LogEnv(log),
    0.01,
    0,
    time,
  );
  await interaction.setup();
  let running = true;
  const loop = (async () => {
    while (running) await interaction.step();
  })();
  await clock.advance(0); // the first step runs, then waits out its period
  t.is(log.filter((l) => l === 'env.observe').length, 1);
  await clock.advance(30);
  t.is(log.filter((l) => l === 'env.observe').length, 4, 'one more step per 10 ms');
  running = false;
  await clock.advance(10);
  await loop;
});

test('an interval that is negative or not finite throws a RangeError', (t) => {
  t.throws(() => new SleepIntervalAdjustor(-1), { instanceOf: RangeError });
  t.throws(() => new SleepIntervalAdjustor(Number.NaN), { instanceOf: RangeError });
});
