import test from 'ava';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KeyError } from '../../src/data/index.js';
import {
  Actuator,
  ActuatorWrapper,
  ActuatorsDict,
  Environment,
  EnvironmentWrapper,
  LambdaWrapper,
  ModularEnvironment,
  Sensor,
  SensorWrapper,
  SensorsDict,
  Wrapper,
} from '../../src/interaction/index.js';
import { tmpDir } from '../helpers/tmp.js';

type Log = string[];

/** Adds the four lifecycle hooks and persistence, logging `<tag>.<event>`. */
function logged<
  B extends abstract new (
    ...args: any[]
  ) => {
    setup(): unknown;
    teardown(): unknown;
    onPaused(): unknown;
    onResumed(): unknown;
    saveState(p: string): unknown;
    loadState(p: string): unknown;
  },
>(Base: B) {
  abstract class Logged extends Base {
    abstract tag: string;
    abstract log: Log;
    override setup() {
      this.log.push(`${this.tag}.setup`);
    }
    override teardown() {
      this.log.push(`${this.tag}.teardown`);
    }
    override onPaused() {
      this.log.push(`${this.tag}.onPaused`);
    }
    override onResumed() {
      this.log.push(`${this.tag}.onResumed`);
    }
    override saveState(p: string) {
      this.log.push(`${this.tag}.save ${p}`);
    }
    override loadState(p: string) {
      this.log.push(`${this.tag}.load ${p}`);
    }
  }
  return Logged;
}

class ConstSensor extends logged(Sensor) {
  constructor(
    readonly tag: string,
    readonly log: Log,
    readonly value: unknown,
  ) {
    super();
  }
  read() {
    this.log.push(`${this.tag}.read`);
    return this.value;
  }
}

class RecordingActuator extends logged(Actuator) {
  received: unknown[] = [];
  constructor(
    readonly tag: string,
    readonly log: Log,
  ) {
    super();
  }
  async operate(action: unknown) {
    this.log.push(`${this.tag}.operate`);
    this.received.push(action);
  }
}

class Double extends logged(Wrapper) {
  constructor(
    readonly tag: string,
    readonly log: Log,
  ) {
    super();
  }
  wrap(value: number) {
    return value * 2;
  }
}

class ConstEnv extends logged(Environment) {
  affected: unknown[] = [];
  constructor(
    readonly tag: string,
    readonly log: Log,
  ) {
    super();
  }
  observe() {
    return 5;
  }
  affect(a: unknown) {
    this.affected.push(a);
  }
}

async function allEvents(part: { setup(): unknown; onPaused(): unknown; onResumed(): unknown; teardown(): unknown }) {
  await part.setup();
  await part.onPaused();
  await part.onResumed();
  await part.teardown();
}

const events = (tags: string[]) =>
  ['setup', 'onPaused', 'onResumed', 'teardown'].flatMap((e) => tags.map((tag) => `${tag}.${e}`));

test('a modular environment observes through its sensor and affects through its actuator', async (t) => {
  const log: Log = [];
  const actuator = new RecordingActuator('act', log);
  const env = new ModularEnvironment(new ConstSensor('sen', log, 42), actuator);
  t.is(await env.observe(), 42);
  await env.affect('go');
  t.deepEqual(actuator.received, ['go']);
});

test('a modular environment forwards events to the sensor, then the actuator', async (t) => {
  const log: Log = [];
  await allEvents(new ModularEnvironment(new ConstSensor('sen', log, 0), new RecordingActuator('act', log)));
  t.deepEqual(log, events(['sen', 'act']));
});

test('a modular environment saves into sensor/ and actuator/', async (t) => {
  const dir = tmpDir(t);
  const log: Log = [];
  const env = new ModularEnvironment(new ConstSensor('sen', log, 0), new RecordingActuator('act', log));
  await env.saveState(join(dir, 'environment'));
  await env.loadState(join(dir, 'environment'));
  t.true(existsSync(join(dir, 'environment')));
  t.deepEqual(log, [
    `sen.save ${join(dir, 'environment', 'sensor')}`,
    `act.save ${join(dir, 'environment', 'actuator')}`,
    `sen.load ${join(dir, 'environment', 'sensor')}`,
    `act.load ${join(dir, 'environment', 'actuator')}`,
  ]);
});

test('a sensors dict reads every sensor into one record', async (t) => {
  const log: Log = [];
  const sensors = new SensorsDict({ a: new ConstSensor('a', log, 1), b: new ConstSensor('b', log, 'two') });
  t.deepEqual(await sensors.read(), { a: 1, b: 'two' });
  await allEvents(sensors);
  t.deepEqual(log.slice(2), events(['a', 'b']));
});

test('an actuators dict gives each actuator its action and ignores extra keys', async (t) => {
  const log: Log = [];
  const a = new RecordingActuator('a', log);
  const b = new RecordingActuator('b', log);
  await new ActuatorsDict({ a, b }).operate({ a: 1, b: 2, extra: 3 });
  t.deepEqual([a.received, b.received], [[1], [2]]);
});

test('an actuators dict throws KeyError for a missing action, operating nothing', async (t) => {
  const log: Log = [];
  const a = new RecordingActuator('a', log);
  await t.throwsAsync(async () => new ActuatorsDict({ a, b: new RecordingActuator('b', log) }).operate({ a: 1 }), {
    instanceOf: KeyError,
    message: /'b'/,
  });
  t.deepEqual(a.received, []);
});

test('sensors and actuators dicts save one directory per key, even into an existing directory', async (t) => {
  const dir = tmpDir(t);
  const log: Log = [];
  mkdirSync(join(dir, 's'));
  await new SensorsDict({ x: new ConstSensor('x', log, 0) }).saveState(join(dir, 's'));
  await new ActuatorsDict({ y: new RecordingActuator('y', log) }).saveState(join(dir, 'a'));
  t.deepEqual(log, [`x.save ${join(dir, 's', 'x')}`, `y.save ${join(dir, 'a', 'y')}`]);
  t.true(existsSync(join(dir, 'a')));
});

test('fromDict builds a modular environment over sensors and actuators dicts', async (t) => {
  const log: Log = [];
  const y = new RecordingActuator('y', log);
  const env = ModularEnvironment.fromDict({ x: new ConstSensor('x', log, 7) }, { y });
  t.true(env.sensor instanceof SensorsDict);
  t.true(env.actuator instanceof ActuatorsDict);
  t.deepEqual(await env.observe(), { x: 7 });
  await env.affect({ y: 'on' });
  t.deepEqual(y.received, ['on']);
});

// ---- wrappers

test('a lambda wrapper applies its function', async (t) => {
  t.is(await new LambdaWrapper((x: number) => x + 1).wrap(1), 2);
});

test('a wrapper wraps a sensor and an actuator', async (t) => {
  const log: Log = [];
  const double = new Double('w', log);
  const sensor = double.wrapSensor(new ConstSensor('s', log, 21));
  t.true(sensor instanceof SensorWrapper);
  t.is(await sensor.read(), 42);
  const inner = new RecordingActuator('a', log);
  const actuator = double.wrapActuator(inner);
  t.true(actuator instanceof ActuatorWrapper);
  await actuator.operate(4);
  t.deepEqual(inner.received, [8]);
});

test('plain functions given to wrappers are wrapped automatically', async (t) => {
  const log: Log = [];
  const sensor = new SensorWrapper(new ConstSensor('s', log, 'abc'), (s: unknown) => String(s).toUpperCase());
  t.true(sensor.wrapper instanceof LambdaWrapper);
  t.is(await sensor.read(), 'ABC');
  const inner = new RecordingActuator('a', log);
  await new ActuatorWrapper(inner, async (n: number) => n - 1).operate(10);
  t.deepEqual(inner.received, [9]);
});

test('a sensor wrapper forwards events and state to sensor/ and wrapper/', async (t) => {
  const dir = tmpDir(t);
  const log: Log = [];
  const sw = new SensorWrapper(new ConstSensor('s', log, 1), new Double('w', log));
  await allEvents(sw);
  await sw.saveState(join(dir, 'p'));
  await sw.loadState(join(dir, 'p'));
  t.deepEqual(log, [
    ...events(['s', 'w']),
    `s.save ${join(dir, 'p', 'sensor')}`,
    `w.save ${join(dir, 'p', 'wrapper')}`,
    `s.load ${join(dir, 'p', 'sensor')}`,
    `w.load ${join(dir, 'p', 'wrapper')}`,
  ]);
});

test('an actuator wrapper forwards events and state to actuator/ and wrapper/', async (t) => {
  const dir = tmpDir(t);
  const log: Log = [];
  const aw = new ActuatorWrapper(new RecordingActuator('a', log), new Double('w', log));
  await allEvents(aw);
  await aw.saveState(join(dir, 'p'));
  t.deepEqual(log, [
    ...events(['a', 'w']),
    `a.save ${join(dir, 'p', 'actuator')}`,
    `w.save ${join(dir, 'p', 'wrapper')}`,
  ]);
});

test('an environment wrapper wraps observations and actions', async (t) => {
  const log: Log = [];
  const env = new ConstEnv('e', log);
  const wrapped = new EnvironmentWrapper(
    env,
    (o: number) => `obs ${o}`,
    (a: string) => a.length,
  );
  t.is(await wrapped.observe(), 'obs 5');
  await wrapped.affect('four');
  t.deepEqual(env.affected, [4]);
  const identity = new EnvironmentWrapper(env);
  t.is(await identity.observe(), 5);
});

test('an environment wrapper forwards events and state to env/, obs_wrapper/ and act_wrapper/', async (t) => {
  const dir = tmpDir(t);
  const log: Log = [];
  const ew = new EnvironmentWrapper(new ConstEnv('e', log), new Double('o', log), new Double('a', log));
  await allEvents(ew);
  await ew.saveState(join(dir, 'p'));
  await ew.loadState(join(dir, 'p'));
  t.deepEqual(log, [
    ...events(['e', 'o', 'a']),
    `e.save ${join(dir, 'p', 'env')}`,
    `o.save ${join(dir, 'p', 'obs_wrapper')}`,
    `a.save ${join(dir, 'p', 'act_wrapper')}`,
    `e.load ${join(dir, 'p', 'env')}`,
    `o.load ${join(dir, 'p', 'obs_wrapper')}`,
    `a.load ${join(dir, 'p', 'act_wrapper')}`,
  ]);
});
