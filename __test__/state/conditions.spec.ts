import test from 'ava';
import { PeriodicSaveCondition, toSaveCondition } from '../../src/state/conditions.js';
import { FakeClock, TimeController, setGlobalTimeController } from '../../src/time/index.js';

/** A global time controller on a fake clock, for the rest of the spec. */
function fakeTime(t: import('ava').ExecutionContext): { clock: FakeClock; controller: TimeController } {
  const clock = new FakeClock();
  const controller = new TimeController(clock);
  const previous = setGlobalTimeController(controller);
  t.teardown(() => setGlobalTimeController(previous));
  return { clock, controller };
}

test.serial(
  'PeriodicSaveCondition is false at first, true once the interval has passed, then false again',
  async (t) => {
    const { clock } = fakeTime(t);
    const condition = new PeriodicSaveCondition(0.05);
    t.false(condition.check());
    await clock.advance(45);
    t.false(condition.check(), 'not before the interval');
    await clock.advance(10);
    t.true(condition.check());
    t.false(condition.check());
    await clock.advance(55);
    t.true(condition.asFunction()());
  },
);

test.serial('PeriodicSaveCondition is not delayed by a clock restored after it anchored', async (t) => {
  const { clock, controller } = fakeTime(t);
  const condition = new PeriodicSaveCondition(0.05);
  t.false(condition.check());
  // A state saved an hour ago is loaded after the condition anchored: pamiq time jumps back an hour.
  const state = controller.stateDict();
  controller.loadStateDict({ ...state, time: state.time - 3600 });
  await clock.advance(45);
  t.false(condition.check());
  await clock.advance(10);
  t.true(condition.check());
});

test('PeriodicSaveCondition rejects intervals that are not positive and finite', (t) => {
  for (const v of [0, -1, Number.NaN, Infinity]) {
    t.throws(() => new PeriodicSaveCondition(v), { instanceOf: RangeError, message: /interval/ });
  }
});

test('any function returning a boolean is a save condition', (t) => {
  let calls = 0;
  const condition = toSaveCondition(() => ++calls % 2 === 0);
  t.false(condition());
  t.true(condition());
  t.throws(() => toSaveCondition(42 as never), { instanceOf: TypeError });
});
