/**
 * A save whose rename succeeded but whose final fsync of the states directory failed is committed, not
 * failed: the engine reports `durable: false`, the store throws StateNotDurableError carrying the path,
 * and the control loop tells the keeper about the state without removing older ones. Injected with
 * PAMIQ_FAULT_FSYNC_STATES_DIR=1 (read by both backends at commit time); serial, since it sets the
 * process environment. Runs on the backend PAMIQ_BACKEND selects.
 */
import test from 'ava';
import { engine } from '../../src/backend/select.js';
import { ControlLoop } from '../../src/launch/control.js';
import { resolveLaunchConfig } from '../../src/launch/config.js';
import { EventLoopRunner } from '../../src/launch/loop.js';
import { StateNotDurableError } from '../../src/state/errors.js';
import { StatesKeeper } from '../../src/state/keeper.js';
import { latestState, scanStates } from '../../src/state/scan.js';
import { StateStore } from '../../src/state/store.js';
import { captureLogs } from '../../src/log.js';
import { TimeController, setGlobalTimeController } from '../../src/time/index.js';
import { Counter } from '../helpers/components.js';
import { tmpDir } from '../helpers/tmp.js';

const backend = engine().name;
const FAULT = 'PAMIQ_FAULT_FSYNC_STATES_DIR';

async function withFault<T>(fn: () => Promise<T>): Promise<T> {
  process.env[FAULT] = '1';
  try {
    return await fn();
  } finally {
    delete process.env[FAULT];
  }
}

test.serial(
  `${backend}: a failed fsync after the rename is reported as committed-but-not-durable, with the path`,
  async (t) => {
    const statesDir = tmpDir(t);
    const store = new StateStore({ statesDir, stateNameFormat: 'n.state' });
    const counter = new Counter();
    counter.value = 5;
    store.register('c', counter);
    const err = await withFault(() => t.throwsAsync(store.saveState(), { instanceOf: StateNotDurableError }));
    t.is(err!.code, 'ENOTDURABLE');
    t.regex(err!.syncError, /^EIO: fsync directory '.*': Input\/output error \(injected\)$/);
    t.deepEqual((await engine().verifyState(err!.path)).problems, [], 'the state is there and verifies');
    t.is(await latestState(statesDir, '*.state'), err!.path);
    const other = new Counter();
    const loader = new StateStore({ statesDir });
    loader.register('c', other);
    await loader.loadState(err!.path);
    t.is(other.value, 5);
    // The next save without the fault is durable again.
    t.regex(await store.saveState(), /n_1\.state$/);
  },
);

class RecordingKeeper extends StatesKeeper {
  appended: string[] = [];
  selections = 0;
  override append(path: string) {
    this.appended.push(path);
  }
  selectRemovalStates() {
    this.selections++;
    return [];
  }
}

test.serial(
  `${backend}: the control loop tells the keeper about a committed-but-not-durable state and removes nothing`,
  async (t) => {
    const previous = setGlobalTimeController(new TimeController());
    t.teardown(() => setGlobalTimeController(previous));
    const statesDir = tmpDir(t);
    const store = new StateStore({ statesDir });
    store.register('c', new Counter());
    const keeper = new RecordingKeeper();
    const control = new ControlLoop(store, resolveLaunchConfig({ timeoutForAllThreadsPause: 1 }), keeper);
    const loop = new EventLoopRunner('inference', { step: () => undefined });
    control.attachLoops([loop]);
    loop.start();
    t.teardown(() => loop.stop());
    const logs = captureLogs();
    await withFault(() => (control as unknown as { startSave(): Promise<void> }).startSave());
    logs.stop();
    const [state] = (await scanStates(statesDir, '*')).entries;
    t.truthy(state, 'the state is committed');
    t.is(control.failedSaves.length, 1);
    t.true(control.failedSaves[0] instanceof StateNotDurableError);
    t.deepEqual(keeper.appended, [state!.path], 'the keeper learned about it');
    t.true(keeper.isProtected(state!.path));
    t.is(keeper.selections, 0, 'no cleanup after a save that is not durable');
    t.regex(logs.text(), /committed but not durable/);
    // A durable save afterwards goes through the keeper as usual.
    await (control as unknown as { startSave(): Promise<void> }).startSave();
    t.is(keeper.appended.length, 2);
    t.is(keeper.selections, 1);
  },
);
