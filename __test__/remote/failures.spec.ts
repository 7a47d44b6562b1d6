/**
 * The background uploader against a real versitygw: a server down mid-upload, wrong credentials, a
 * missing bucket and a full remote are logged, retried with backoff and never throw; a half-uploaded
 * state is never a remote state; a local state is not removable before its upload is confirmed.
 */
import anyTest from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { startS3Server } from '../../scripts/s3-server.mjs';
import { captureLogs } from '../../src/log.js';
import { LatestStatesKeeper } from '../../src/state/keeper.js';
import { RemoteStore } from '../../src/remote/store.js';
import { RemoteSync } from '../../src/remote/sync.js';
import { tmpDir } from '../helpers/tmp.js';
import { blobStore, client, newBucket, remoteConfig, s3Test, useServer } from './server.js';

const test = s3Test(anyTest);
const server = useServer(anyTest);

const syncOf = (remote: RemoteStore, maxKeep?: number) =>
  new RemoteSync(remote, { maxKeep, retryInitialMs: 50, retryMaxMs: 300 });

const until = async (what: string, cond: () => boolean | Promise<boolean>, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

test.serial(
  'a server killed mid-upload: the error is logged and retried, no half state is visible, the upload completes once it is back',
  async (t) => {
    const s = server();
    const config = await newBucket(s);
    const remote = new RemoteStore(config);
    const sync = syncOf(remote, 2);
    const dir = tmpDir(t);
    const { store } = blobStore(dir, 4, true);
    const keeper = new LatestStatesKeeper({ statesDir: dir, maxKeep: 1 });
    keeper.setRemovalGuard((p) => sync.isRemovable(p));
    const logs = captureLogs();
    try {
      const first = await store.saveState();
      sync.enqueue(first);
      await sync.flush(30_000);
      t.true(sync.isRemovable(first));

      const second = await store.saveState();
      const uploadStarted = until('the upload to start', () => existsSync(join(s.dataDir, config.bucket, 'states')));
      sync.enqueue(second);
      await uploadStarted;
      await s.kill(); // mid-upload: some data files may be there, the marker is not
      t.false(sync.isRemovable(second), 'not confirmed while the server is down');
      await until('two failed attempts', () => sync.failures.length >= 2);
      t.regex(
        logs.text(),
        /Uploading '.*' failed \(attempt \d\); the state stays local and the upload is retried in [\d.]+ s: .*unreachable/,
      );

      // The keeper keeps the unconfirmed newest-but-one state it would otherwise remove.
      keeper.recordSaved(second);
      const third = await store.saveState();
      keeper.recordSaved(third);
      sync.enqueue(third);
      t.deepEqual(await keeper.cleanup(), [first], 'only the confirmed state is removed');
      t.true(existsSync(second));

      await s.start();
      t.true(await sync.flush(30_000), 'everything is uploaded once the server is back');
      const names = (await remote.list()).states.map((x) => x.name);
      t.deepEqual(
        names,
        [second, third].map((p) => p.split('/').pop()),
        'retention kept the 2 newest',
      );
      t.true(sync.isRemovable(second));
      t.deepEqual(await keeper.cleanup(), [second]);
    } finally {
      logs.stop();
      await sync.close(0);
      await s.start(); // no-op when it runs
    }
  },
);

test('wrong credentials: a clear error, retried, the state stays unconfirmed and nothing is written', async (t) => {
  const s = server();
  const good = await newBucket(s);
  const remote = new RemoteStore(
    remoteConfig(s, good.bucket, { credentials: { accessKeyId: s.accessKeyId, secretAccessKey: 'wrong-secret' } }),
  );
  const sync = syncOf(remote);
  const { store } = blobStore(tmpDir(t), 6);
  const path = await store.saveState();
  const logs = captureLogs();
  sync.enqueue(path);
  await until('two failed attempts', () => sync.failures.length >= 2);
  logs.stop();
  await sync.close(0);
  t.regex(
    sync.failures[0]!.error.message,
    /credentials rejected by s3:\/\/.* \((SignatureDoesNotMatch|InvalidAccessKeyId|AccessDenied)\)/,
  );
  t.regex(logs.text(), /credentials rejected/);
  t.false(sync.isRemovable(path));
  t.deepEqual((await new RemoteStore(good).list()).states, []);
});

test('a missing bucket: named in the error, retried, and the upload completes once the bucket exists', async (t) => {
  const s = server();
  const bucket = `missing-${Date.now()}`;
  const remote = new RemoteStore(remoteConfig(s, bucket));
  const sync = syncOf(remote);
  const { store } = blobStore(tmpDir(t), 8);
  const path = await store.saveState();
  sync.enqueue(path);
  await until('a failed attempt', () => sync.failures.length >= 1);
  t.regex(
    sync.failures[0]!.error.message,
    /bucket of s3:\/\/missing-\d+\/states\/run-1 .* does not exist \(NoSuchBucket\)/,
  );
  const c = client(s);
  await c.send(new CreateBucketCommand({ Bucket: bucket }));
  c.destroy();
  t.true(await sync.flush(30_000));
  await sync.close(0);
  t.deepEqual(
    (await remote.list()).states.map((x) => x.name),
    [path.split('/').pop()],
  );
});

const canMount = process.getuid?.() === 0 && spawnSync('mount', ['--version']).status === 0;
(canMount ? test.serial : test.skip)(
  `a full remote: logged as full, retried, completes once space is freed${canMount ? '' : ' (skipped: needs root to mount a small tmpfs)'}`,
  async (t) => {
    const base = tmpDir(t);
    const data = join(base, 'data');
    mkdirSync(data);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', data], { encoding: 'utf8' });
    if (mounted.status !== 0) {
      t.log(`mount failed: ${mounted.stderr}`);
      t.fail('could not mount a tmpfs as root');
      return;
    }
    const full = await startS3Server({ dataDir: data });
    try {
      const config = await newBucket(full);
      const remote = new RemoteStore(config);
      const sync = syncOf(remote);
      const { store } = blobStore(tmpDir(t), 12, true); // ~12.7 MB: more than the 4 MB volume
      const path = await store.saveState();
      sync.enqueue(path);
      await until('two failed attempts', () => sync.failures.length >= 2);
      t.log(sync.failures[0]!.error.message);
      t.regex(sync.failures[0]!.error.message, /is full|no space/i);
      t.deepEqual((await remote.list()).states, [], 'no half-uploaded state is visible');
      t.false(sync.isRemovable(path));
      t.is(spawnSync('mount', ['-o', 'remount,size=64m', data]).status, 0);
      t.true(await sync.flush(30_000), 'the upload completes once there is room');
      await sync.close(0);
      t.deepEqual(
        (await remote.list()).states.map((x) => x.name),
        [path.split('/').pop()],
      );
    } finally {
      await full.dispose();
      spawnSync('umount', [data]);
    }
  },
);
