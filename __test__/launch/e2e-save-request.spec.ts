/**
 * `system.saveState()` must not resolve before the save it requested happened. A request made while
 * another save is in flight is coalesced into the next save, which starts on a later control tick;
 * each request is bound to the save whose capture begins after it, so it cannot resolve early.
 */
import test from 'ava';
import { statePhases, type StatePhaseEvent } from '../../src/state/phases.js';
import { launch } from '../../src/launch/launch.js';
import { setLogLevel } from '../../src/log.js';
import { buildSystem } from '../reliability/fixtures/system.js';
import { tmpDir } from '../helpers/tmp.js';

test.before(() => setLogLevel('warn'));

test.serial(
  'system.saveState() resolves only after the save it requested was committed, even while another save is in flight',
  async (t) => {
    const dir = tmpDir(t, 'pamiq-save-request-');
    const events: { phase: string; at: number }[] = [];
    const onPhase = (msg: unknown) => events.push({ phase: (msg as StatePhaseEvent).phase, at: performance.now() });
    statePhases.subscribe(onPhase);
    t.teardown(() => statePhases.unsubscribe(onPhase));

    const sys = buildSystem({ size: 'large' });
    const running = launch({ ...sys.launchOptions(), config: { statesDir: dir, handleSignals: false } });
    t.teardown(() => running.system.shutdown());
    while (sys.agent.steps < 20) await new Promise((r) => setTimeout(r, 5));

    const first = running.system.saveState();
    while (!events.some((e) => e.phase === 'capture:end')) await new Promise((r) => setTimeout(r, 0));
    // The first save is now being written; request another one.
    const requestedAt = performance.now();
    await running.system.saveState();
    const resolvedAt = performance.now();
    await first;

    const capturedAfterRequest = events.filter((e) => e.phase === 'capture:start' && e.at >= requestedAt);
    const committed = events.filter((e) => e.phase === 'commit:end' && e.at <= resolvedAt).length;
    running.system.shutdown();
    await running;
    t.true(
      capturedAfterRequest.length >= 1 && committed >= 2,
      `saveState() resolved with ${committed} commit(s) and ${capturedAfterRequest.filter((e) => e.at <= resolvedAt).length} ` +
        'capture(s) started after the request: it did not wait for its own save',
    );
  },
);
