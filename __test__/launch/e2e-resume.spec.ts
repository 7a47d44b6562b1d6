/**
 * End to end: a launched system (its own process) saves often, is SIGKILLed, and is relaunched with
 * `savedStatePath: "latest"`; its step counts, model parameters and buffer contents continue from the
 * newest committed state. The state tree follows the original's layout.
 */
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { engine } from '../../src/backend/select.js';
import { latestState } from '../../src/state/scan.js';
import { startChild, type RunningChild } from '../reliability/crash.js';
import { checkSnapshot, loadFresh, type Snapshot } from '../reliability/fixtures/system.js';
import { tmpDir } from '../helpers/tmp.js';

const commitsOf = (child: RunningChild) =>
  child.lines.filter((l) => l.kind === 'phase' && l.data.p === 'commit:end').map((l) => l.data.s as string);

async function untilCommits(child: RunningChild, n: number, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (commitsOf(child).length < n) {
    if (Date.now() > deadline) throw new Error(`fewer than ${n} commits within ${timeoutMs} ms:\n${child.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split('\\').join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

test.serial(
  'continues step counts, model parameters and buffer contents after a SIGKILL and a relaunch from the latest state',
  async (t) => {
    const dir = tmpDir(t, 'pamiq-e2e-resume-');
    const first = startChild({ statesDir: dir, saveEveryMs: 60, maxKeep: 3 });
    await first.waitFor('ready');
    await untilCommits(first, 4);
    first.kill('SIGKILL');
    t.is((await first.exited).signal, 'SIGKILL');
    const committed = commitsOf(first);
    const newestCommitted = committed[committed.length - 1]!;

    const latest = await latestState(dir);
    t.truthy(latest);
    const created = async (p: string) => BigInt((await engine().verifyState(p)).manifest.createdAtNs);
    t.true(
      (await created(latest!)) >= (await created(newestCommitted)),
      'latest is the newest committed state or newer',
    );
    const expected: Snapshot = await loadFresh(latest!);
    t.deepEqual(checkSnapshot(expected), []);
    t.true(expected.agentSteps > 0);
    t.true(expected.trainCount > 0);
    t.true(expected.frameSteps.length > 0);

    const second = startChild({ statesDir: dir, saveEveryMs: 60, maxKeep: 3, savedStatePath: 'latest' });
    const ready = await second.waitFor('ready');
    // The relaunched system holds exactly what the newest committed state holds.
    t.deepEqual(ready.data.snapshot, JSON.parse(JSON.stringify(expected)));
    await untilCommits(second, 2);
    second.kill('SIGTERM');
    const done = (await second.waitFor('done')).data as { loaded: string; final: string; snapshot: Snapshot };
    t.is((await second.exited).code, 0, second.stderr());
    t.is(done.loaded, latest!);

    // It went on from there: counts grew, the frames continue without a gap, the models kept training.
    const after = done.snapshot;
    t.deepEqual(checkSnapshot(after), []);
    t.true(after.agentSteps > expected.agentSteps, `steps ${expected.agentSteps} → ${after.agentSteps}`);
    t.true(after.envObservations > expected.envObservations);
    t.true(after.trainCount > expected.trainCount, `trainings ${expected.trainCount} → ${after.trainCount}`);
    t.true(after.episodeCount >= expected.episodeCount);
    t.not(after.policy, expected.policy);
    t.true(Math.abs(after.critic[0]! - 3) < Math.abs(expected.critic[0]! - 3) + 0.5, 'the critic kept its training');
    t.true(after.pairs.length >= expected.pairs.length);
    // The final save holds the system as it stopped.
    t.deepEqual(JSON.parse(JSON.stringify(await loadFresh(done.final))), after);
  },
);

test.serial('lays out the state of a launched system like the original', async (t) => {
  const dir = tmpDir(t, 'pamiq-e2e-layout-');
  const child = startChild({ statesDir: dir, maxUptime: 0.5, size: 'small' });
  const done = (await child.waitFor('done')).data as { final: string };
  t.is((await child.exited).code, 0, child.stderr());
  const files = filesUnder(done.final);
  const required = [
    'manifest.json',
    'time.msgpack',
    'interaction/agent/episode_stats.txt',
    'interaction/environment/env.json',
    'interaction/environment/world.bin',
    'models/policy.msgpack',
    'models/critic.msgpack',
    'trainers/sgd/previous_training_time.msgpack',
    'trainers/sgd/stats.msgpack',
    ...['frames', 'pairs', 'episodes', 'replay'].flatMap((b) => [
      `data/${b}/buffer.msgpack`,
      `data/${b}/timestamps.msgpack`,
    ]),
  ];
  for (const f of [...required, 'random.msgpack', 'random/training.msgpack'])
    t.true(files.includes(f), `${f} in ${files.join(', ')}`);
  const top = new Set(files.map((f) => f.split('/')[0]));
  t.deepEqual([...top].sort(), [
    'data',
    'interaction',
    'manifest.json',
    'models',
    'random',
    'random.msgpack',
    'time.msgpack',
    'trainers',
  ]);
  for (const f of files.filter((f) => f.startsWith('interaction/'))) {
    t.regex(f, /^interaction\/(agent|environment)\//);
  }
  const manifest = JSON.parse(readFileSync(join(done.final, 'manifest.json'), 'utf8'));
  t.deepEqual(manifest.components, ['interaction', 'models', 'data', 'trainers', 'time', 'random']);
  t.deepEqual(
    manifest.files.map((f: { path: string }) => f.path),
    files.filter((f) => f !== 'manifest.json'),
  );
  t.deepEqual((await engine().verifyState(done.final)).problems, []);
});
