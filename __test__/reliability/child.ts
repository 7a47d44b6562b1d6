/**
 * A launched system in its own process, for the specs that kill, relaunch or starve it.
 *
 *   node --import tsx __test__/reliability/child.ts '<json ChildConfig>'
 *
 * Writes one line per event to stdout, synchronously (so the last line before a SIGKILL is the phase
 * the process was in): `<kind> <json>` with kind
 *   ready   {pid, leftovers, snapshot}      setup ran: the state is loaded, leftovers removed, loops not started
 *   phase   {p, s, t}                       a `pamiq:state` phase (p), its subject (s), performance.now() (t)
 *                                           (with `killAt`, the matching phase line is the last line)
 *   step    {...}                           scenario progress (enospc)
 *   done    {reason, loaded, saved, failed, snapshot}   launch() resolved
 *   error   {name, code, message}           launch() rejected (exit code 1)
 */
import { readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { launch, type LaunchConfig } from '../../src/launch/index.js';
import { LatestStatesKeeper } from '../../src/state/keeper.js';
import { statePhases, type StatePhaseEvent } from '../../src/state/phases.js';
import { buildInteraction, buildSystem, mainSnapshotOf, snapshotOf } from './fixtures/system.js';

export interface ChildConfig {
  statesDir: string;
  /** Save every this many real ms (a condition polled by the control loop). None: no periodic saves. */
  saveEveryMs?: number;
  /** Keep this many states with a LatestStatesKeeper. None: no keeper. */
  maxKeep?: number;
  savedStatePath?: string;
  maxUptime?: number;
  size?: 'large' | 'small';
  /** 'run' (default): run until killed, SIGTERM or maxUptime. 'enospc': the full-disk scenario. */
  scenario?: 'run' | 'enospc';
  /**
   * 'main' (default): components as instances, on the main thread. 'worker': the training side from
   * fixtures/training.ts in a training worker; snapshots then hold the main thread's part only.
   */
  threading?: 'main' | 'worker';
  /**
   * SIGKILL this process from the phase hook: at the `occurrence`-th (1-based) publication of
   * `phase`, right after its line is written. The kill lands inside that phase however slow the
   * machine is.
   */
  killAt?: { phase: string; occurrence: number };
}

const emit = (kind: string, data: unknown) => writeSync(1, `${kind} ${JSON.stringify(data)}\n`);

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
let killCountdown = config.killAt?.occurrence ?? 0;
statePhases.subscribe((msg) => {
  const e = msg as StatePhaseEvent;
  emit('phase', { p: e.phase, s: e.subject, t: performance.now() });
  // Published synchronously from inside the save: nothing of the phase runs on after this kill.
  if (e.phase === config.killAt?.phase && --killCountdown === 0) process.kill(process.pid, 'SIGKILL');
});

const worker = config.threading === 'worker';
const sys = worker ? buildInteraction({ size: config.size ?? 'large' }) : buildSystem({ size: config.size ?? 'large' });
const snapshot = () => (worker ? mainSnapshotOf(sys) : snapshotOf(sys as ReturnType<typeof buildSystem>));
const leftoversOf = () =>
  readdirSync(config.statesDir).filter((n) => n.startsWith('.pamiq-tmp-') || n.startsWith('.pamiq-trash-'));
sys.environment.setup = () => {
  emit('ready', { pid: process.pid, leftovers: leftoversOf(), snapshot: snapshot() });
};

let last = performance.now();
const launchConfig: LaunchConfig = {
  statesDir: config.statesDir,
  savedStatePath: config.savedStatePath,
  maxUptime: config.maxUptime,
  ...(config.saveEveryMs !== undefined
    ? {
        saveStateCondition: () => {
          if (performance.now() - last < config.saveEveryMs!) return false;
          last = performance.now();
          return true;
        },
      }
    : {}),
  ...(config.maxKeep !== undefined
    ? { statesKeeper: new LatestStatesKeeper({ statesDir: config.statesDir, maxKeep: config.maxKeep }) }
    : {}),
};

const describe = (err: unknown) => {
  const e = err as { name?: string; code?: string; message?: string; cause?: unknown };
  const causes: string[] = [];
  for (
    let c = e?.cause as { message?: string; code?: string; cause?: unknown } | undefined;
    c;
    c = c.cause as typeof c
  ) {
    causes.push(`${c.code ?? ''}:${c.message ?? String(c)}`);
  }
  return { name: e?.name, code: e?.code, message: e?.message ?? String(err), causes };
};

const running = worker
  ? launch({
      interaction: sys.interaction,
      training: new URL('./fixtures/training.ts', import.meta.url),
      trainingOptions: { size: config.size ?? 'large' },
      config: launchConfig,
    })
  : launch({ ...(sys as ReturnType<typeof buildSystem>).launchOptions(), config: launchConfig });

if (config.scenario === 'enospc') void enospc();

/**
 * Full disk: a good save; then writers fail after a little more than what was written so far; the
 * save fails and leaves nothing behind; the loops go on; space returns; the next save succeeds.
 */
async function enospc() {
  const { system } = running;
  const commits: string[] = [];
  statePhases.subscribe((msg) => {
    const e = msg as StatePhaseEvent;
    if (e.phase === 'commit:end') commits.push(e.subject);
  });
  const waitSteps = async (n: number) => {
    const target = sys.agent.steps + n;
    while (sys.agent.steps < target) await new Promise((r) => setTimeout(r, 5));
  };
  await waitSteps(50);
  await system.saveState();
  emit('step', { name: 'first save', commits: [...commits], leftovers: leftoversOf() });

  // Bytes written through writers so far = the staged (built-in) files of the first state; the custom
  // files under interaction/ are written with writeFileSync. Let the next save get 256 KiB further.
  const manifest = JSON.parse(readFileSync(join(commits[0]!, 'manifest.json'), 'utf8')) as {
    files: { path: string; size: number }[];
  };
  const written = manifest.files.filter((f) => !f.path.startsWith('interaction/')).reduce((a, f) => a + f.size, 0);
  process.env.PAMIQ_FAULT_ENOSPC_AFTER_BYTES = String(written + 256 * 1024);
  const before = commits.length;
  const refused = await system.saveState().then(
    () => undefined,
    (err: unknown) => describe(err),
  );
  emit('step', {
    name: 'save on a full disk',
    refused,
    committed: commits.length > before,
    leftovers: leftoversOf(),
    states: readdirSync(config.statesDir).filter((n) => n.endsWith('.state')),
  });

  const steps = sys.agent.steps;
  await waitSteps(20);
  emit('step', { name: 'kept running', from: steps, to: sys.agent.steps });

  delete process.env.PAMIQ_FAULT_ENOSPC_AFTER_BYTES;
  const before2 = commits.length;
  await system.saveState();
  emit('step', {
    name: 'space returned',
    committed: commits.length > before2,
    commits: [...commits],
    leftovers: leftoversOf(),
  });
  system.shutdown();
}

running.then(
  (result) => {
    emit('done', {
      reason: result.reason,
      loaded: result.loadedStatePath,
      saved: result.savedStates.map((s) => s.path),
      final: result.finalStatePath,
      failed: result.failedSaves.map(describe),
      snapshot: snapshot(),
    });
  },
  (err) => {
    emit('error', describe(err));
    process.exitCode = 1;
  },
);
