/**
 * launch() with a remote: committed states reach the bucket in the background, the keeper's retention
 * applies there too, a fresh machine with an empty states directory resumes `latest` from the remote,
 * and an unreachable remote never stops the loops nor loses a local state.
 */
import anyTest from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Agent,
  Environment,
  FixedIntervalInteraction,
  LatestStatesKeeper,
  LinearModel,
  PeriodicSaveCondition,
  SequentialBuffer,
  launch,
  LaunchConfigError,
  type DataCollector,
} from '../../src/index.js';
import { captureLogs } from '../../src/log.js';
import { engine } from '../../src/backend/select.js';
import { RemoteStore } from '../../src/remote/store.js';
import { tmpDir } from '../helpers/tmp.js';
import { until } from '../helpers/fake-time.js';
import { newBucket, s3Test, useServer } from './server.js';

const test = s3Test(anyTest);
const server = useServer(anyTest);

class CountingAgent extends Agent<number, number> {
  steps = 0;
  private collector!: DataCollector<number>;
  override onDataCollectorsAttached() {
    this.collector = this.getDataCollector('numbers');
  }
  step(observation: number) {
    this.steps++;
    this.collector.collect(observation);
    return observation;
  }
}

class CountingEnvironment extends Environment<number, number> {
  observed = 0;
  observe() {
    return ++this.observed;
  }
  affect() {}
}

function system() {
  const agent = new CountingAgent();
  const buffer = new SequentialBuffer<number>(1000);
  return {
    agent,
    buffer,
    options: {
      interaction: FixedIntervalInteraction.withSleepAdjustor(agent, new CountingEnvironment(), 0.005),
      models: { m: new LinearModel(1) },
      buffers: { numbers: buffer },
    },
  };
}

const statesIn = (dir: string) =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.state'))
    .sort();
const remoteOf = (r: {
  bucket: string;
  prefix: string;
  endpoint?: string;
  region?: string;
  credentials?: unknown;
}) => ({
  bucket: r.bucket,
  prefix: r.prefix,
  endpoint: r.endpoint,
  region: r.region,
  credentials: r.credentials as { accessKeyId: string; secretAccessKey: string },
  retryInitialMs: 50,
  retryMaxMs: 300,
  shutdownWaitSeconds: 20,
});

test.serial(
  'states reach the remote with the keeper’s retention, and a fresh machine resumes the newest from it',
  async (t) => {
    const config = await newBucket(server());
    const remote = remoteOf(config);
    const dirA = tmpDir(t);
    const firstRun = launch({
      ...system().options,
      config: {
        statesDir: dirA,
        handleSignals: false,
        statesKeeper: new LatestStatesKeeper({ statesDir: dirA, maxKeep: 2 }),
        remote,
      },
    });
    // Two requested saves and the final one: three states, however fast the machine is.
    await firstRun.system.saveState();
    await firstRun.system.saveState();
    firstRun.system.shutdown();
    const first = await firstRun;
    t.is(first.savedStates.length, 3, `${first.savedStates.length} saves`);
    const finalName = first.finalStatePath!.split('/').pop()!;
    const store = new RemoteStore(config);
    const onRemote = (await store.list()).states.map((s) => s.name);
    t.is(onRemote.length, 2, `the remote keeps the keeper's 2 newest: ${onRemote.join(', ')}`);
    t.is(onRemote[1], finalName, 'the final state was uploaded before launch() returned');

    // Machine A is lost. Machine B starts with an empty states directory.
    const dirB = join(tmpDir(t), 'states');
    const b = system();
    const logs = captureLogs();
    let steps = 0;
    const second = launch({
      ...b.options,
      config: { statesDir: dirB, savedStatePath: 'latest', maxUptime: 0.3, handleSignals: false, remote },
    });
    const result = await second;
    logs.stop();
    steps = b.agent.steps;
    t.is(result.loadedStatePath, join(dirB, finalName));
    t.regex(logs.text(), /Downloaded and verified '.*' from s3:\/\//);
    t.deepEqual((await engine().verifyState(result.loadedStatePath!)).problems, []);
    t.true(steps > 0);
    // Machine B loaded exactly machine A's final state (same manifest, so same bytes, verified).
    t.deepEqual(
      readFileSync(join(result.loadedStatePath!, 'manifest.json')),
      readFileSync(join(first.finalStatePath!, 'manifest.json')),
    );
    t.true(statesIn(dirB).includes(finalName));
  },
);

test.serial(
  'an unreachable remote never stops the loops, and no local state is removed before its upload',
  async (t) => {
    const s = server();
    const config = await newBucket(s);
    // Default shutdownWaitSeconds (60): a failed attempt at shutdown ends the wait, not the timeout.
    const remote = { ...remoteOf(config), endpoint: 'http://127.0.0.1:1', shutdownWaitSeconds: undefined };
    const dir = tmpDir(t);
    const { agent, options } = system();
    const logs = captureLogs();
    const run = launch({
      ...options,
      config: {
        statesDir: dir,
        handleSignals: false,
        saveStateCondition: new PeriodicSaveCondition(0.1),
        statesKeeper: new LatestStatesKeeper({ statesDir: dir, maxKeep: 1 }),
        remote,
      },
    });
    await until(() => /Uploading '.*' failed \(attempt \d\)/.test(logs.text()), 'a failed upload');
    const stepsAtFailure = agent.steps;
    await until(() => agent.steps > stepsAtFailure + 10, 'ten more steps after a failed upload');
    run.system.shutdown();
    const result = await run;
    logs.stop();
    t.is(result.reason, 'request');
    t.deepEqual(result.failedSaves, []);
    t.regex(logs.text(), /Uploading '.*' failed \(attempt \d\); the state stays local .*unreachable/);
    t.regex(logs.text(), /not uploaded to .* before shutdown; they stay local and are uploaded at the next launch/);
    // maxKeep 1, yet every state is still here: none was confirmed on the remote.
    t.is(statesIn(dir).length, result.savedStates.length);

    // Next launch with the remote reachable: the earlier states are uploaded (newest first), then the
    // keeper may remove the local ones.
    const again = await launch({
      ...system().options,
      config: {
        statesDir: dir,
        maxUptime: 0.2,
        handleSignals: false,
        statesKeeper: new LatestStatesKeeper({ statesDir: dir, maxKeep: 1 }),
        remote: { ...remoteOf(config), maxKeep: 2 },
      },
    });
    const onRemote = (await new RemoteStore(config).list()).states.map((x) => x.name);
    t.is(onRemote.length, 2);
    t.is(onRemote[1], again.finalStatePath!.split('/').pop()!);
  },
);

test('an invalid remote config is rejected before anything starts', async (t) => {
  const err = await t.throwsAsync(
    launch({
      ...system().options,
      config: {
        statesDir: tmpDir(t),
        remote: { bucket: 'A_B', prefix: '/x', partSize: 10, endpoint: 'ftp://x' } as never,
      },
    }),
    { instanceOf: LaunchConfigError },
  );
  t.regex(err!.message, /remote\.bucket must be a bucket name/);
  t.regex(err!.message, /remote\.prefix must be a relative key prefix/);
  t.regex(err!.message, /remote\.endpoint must be an http\(s\) URL/);
  t.regex(err!.message, /remote\.partSize must be an integer ≥ 5242880/);
});
