/**
 * RemoteStore against a real versitygw on 127.0.0.1: round trip of multi-file states, the manifest-last
 * rule, concurrent writers, retention, and downloads that must verify.
 */
import anyTest from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { engine } from '../../src/backend/select.js';
import { RemoteStateCorruptError } from '../../src/remote/errors.js';
import { RemoteStore } from '../../src/remote/store.js';
import { tmpDir } from '../helpers/tmp.js';
import { blobStore, newBucket, s3Test, useServer } from './server.js';

const test = s3Test(anyTest);
const server = useServer(anyTest);

const keysOf = async (remote: RemoteStore) => {
  const res = await remote.client.send(new ListObjectsV2Command({ Bucket: remote.config.bucket }));
  return (res.Contents ?? []).map((o) => o.Key!).sort();
};

test(`a multi-file state goes up with CRC32C and comes back byte-identical and verified (${engine().name})`, async (t) => {
  const remote = new RemoteStore(await newBucket(server()));
  const src = tmpDir(t);
  const { store, a, b } = blobStore(src, 7, true);
  const path = await store.saveState();
  const name = path.split('/').pop()!;

  const pushed = await remote.push(path);
  t.is(pushed.remoteName, name);
  t.false(pushed.alreadyThere);
  const keys = await keysOf(remote);
  t.true(keys.includes(`states/run-1/${name}/manifest.json`));
  t.is(keys.length, 1 + (await engine().verifyState(path)).manifest.files.length);
  // The marker is the manifest byte for byte; data keys carry a CRC32C.
  const marker = await remote.client.send(
    new GetObjectCommand({
      Bucket: remote.config.bucket,
      Key: `states/run-1/${name}/manifest.json`,
      ChecksumMode: 'ENABLED',
    }),
  );
  t.deepEqual(Buffer.from(await marker.Body!.transformToByteArray()), readFileSync(join(path, 'manifest.json')));
  t.truthy(marker.ChecksumCRC32C, 'the marker carries its CRC32C');
  const small = keys.find((k) => k.endsWith('/a/small.bin'))!;
  const head = await remote.client.send(
    new GetObjectCommand({ Bucket: remote.config.bucket, Key: small, ChecksumMode: 'ENABLED' }),
  );
  t.truthy(head.ChecksumCRC32C, 'data files carry their CRC32C');
  await head.Body!.transformToByteArray();

  // Pushing again uploads nothing.
  t.true((await remote.push(path)).alreadyThere);

  const listing = await remote.list();
  t.deepEqual(
    listing.states.map((s) => s.name),
    [name],
  );
  t.is(listing.states[0]!.fileCount, 7);

  const dest = tmpDir(t);
  const pulled = await remote.pull(name, dest);
  t.is(pulled, join(dest, name));
  t.deepEqual((await engine().verifyState(pulled)).problems, []);
  const fresh = blobStore(dest, 99, true);
  await fresh.store.loadState(pulled);
  // Buffer.equals: ava's deepEqual on megabytes is very slow.
  for (const [rel, bytes] of a.files) t.true(fresh.a.loaded.get(rel)?.equals(bytes), `a/${rel}`);
  for (const [rel, bytes] of b.files) t.true(fresh.b.loaded.get(rel)?.equals(bytes), `b/${rel}`);
  // Pulling what is already there returns it; no temporary directory is left behind.
  t.is(await remote.pull(name, dest), pulled);
  t.deepEqual(readdirSync(dest), [name]);
});

test('a remote file changed behind our back fails the XXH3 verification and nothing appears locally', async (t) => {
  const remote = new RemoteStore(await newBucket(server()));
  const { store } = blobStore(tmpDir(t), 3);
  const path = await store.saveState();
  const name = path.split('/').pop()!;
  await remote.push(path);
  const key = (await keysOf(remote)).find((k) => k.endsWith('/b/small.bin'))!;
  const bad = Buffer.from(readFileSync(join(path, 'b', 'small.bin')));
  bad[10] = bad[10]! ^ 0xff;
  await remote.client.send(new PutObjectCommand({ Bucket: remote.config.bucket, Key: key, Body: bad }));

  const dest = tmpDir(t);
  const err = await t.throwsAsync(remote.pull(name, dest), { instanceOf: RemoteStateCorruptError });
  t.regex(err!.message, /b\/small\.bin: checksum/);
  t.deepEqual(readdirSync(dest), [], 'no state and no temporary directory');
  const problems = await remote.verify(name, dest);
  t.deepEqual(
    problems.map((p) => [p.path, p.fault]),
    [['b/small.bin', 'checksum']],
  );
  // A file gone from the remote is named as missing.
  const gone = (await keysOf(remote)).find((k) => k.endsWith('/a/nested/deeper/file.bin'))!;
  await remote.client.send(new DeleteObjectCommand({ Bucket: remote.config.bucket, Key: gone }));
  t.deepEqual(
    (await remote.verify(name, dest)).map((p) => [p.path, p.fault]),
    [
      ['a/nested/deeper/file.bin', 'missing'],
      ['b/small.bin', 'checksum'],
    ],
  );
  await t.throwsAsync(remote.pull(name, dest), {
    instanceOf: RemoteStateCorruptError,
    message: /a\/nested\/deeper\/file\.bin: missing/,
  });
  t.deepEqual(readdirSync(dest), []);
});

test.serial(
  'the manifest goes last: a server killed between the data and the marker leaves no remote state, and the retry completes it',
  async (t) => {
    const s = server();
    const config = await newBucket(s);
    let killed = false;
    const remote = new RemoteStore(config, {
      hooks: {
        async beforeMarker() {
          if (killed) return;
          killed = true;
          await s.kill(); // SIGKILL after every data file was uploaded, before the marker
        },
      },
    });
    const { store } = blobStore(tmpDir(t), 5, true);
    const path = await store.saveState();
    const name = path.split('/').pop()!;
    try {
      const err = await t.throwsAsync(remote.push(path));
      t.regex(err!.message, /unreachable/);
      await s.start();
      const listing = await remote.list();
      t.deepEqual(listing.states, [], 'no state without its marker');
      t.deepEqual(
        listing.incomplete.map((i) => i.name),
        [name],
      );
      const pulled = await t.throwsAsync(remote.pull(name, tmpDir(t)));
      t.regex(pulled!.message, /No state/);

      const again = await remote.push(path);
      t.false(again.alreadyThere);
      t.deepEqual(
        (await remote.list()).states.map((x) => x.name),
        [name],
      );
      t.deepEqual((await engine().verifyState(await remote.pull(name, tmpDir(t)))).problems, []);
    } finally {
      await s.start(); // no-op when it runs
    }
  },
);

test('concurrent writers: two different states under one name never replace each other; the second takes the next name', async (t) => {
  const config = await newBucket(server());
  const w1 = new RemoteStore(config);
  const w2 = new RemoteStore(config);
  // Two machines commit a state with the same name at the same time.
  const d1 = tmpDir(t);
  const d2 = tmpDir(t);
  const s1 = blobStore(d1, 11);
  const s2 = blobStore(d2, 22);
  const p1 = await s1.store.saveState();
  const name = p1.split('/').pop()!;
  const p2raw = await s2.store.saveState();
  const { renameSync } = await import('node:fs');
  const p2 = join(d2, name);
  renameSync(p2raw, p2);

  const [r1, r2] = await Promise.all([w1.push(p1), w2.push(p2)]);
  const names = [r1.remoteName, r2.remoteName].sort();
  t.deepEqual(names, [name, name.replace(/\.state$/, '_1.state')].sort());
  // Each remote state is exactly its writer's state.
  for (const [r, local] of [
    [r1, p1],
    [r2, p2],
  ] as const) {
    const pulled = await w1.pull(r.remoteName, tmpDir(t));
    t.deepEqual(readFileSync(join(pulled, 'manifest.json')), readFileSync(join(local, 'manifest.json')));
    t.deepEqual(readFileSync(join(pulled, 'a', 'small.bin')), readFileSync(join(local, 'a', 'small.bin')));
  }
  // Many writers racing on one name: every state lands once, under distinct names.
  const racers = await Promise.all(
    [33, 44, 55, 66].map(async (seed) => {
      const d = tmpDir(t);
      const raw = await blobStore(d, seed).store.saveState();
      const p = join(d, 'race.state');
      renameSync(raw, p);
      return p;
    }),
  );
  const results = await Promise.all(racers.map((p) => new RemoteStore(config).push(p)));
  t.is(new Set(results.map((r) => r.remoteName)).size, 4);
  for (const [i, r] of results.entries()) {
    const pulled = await w1.pull(r.remoteName, tmpDir(t));
    t.deepEqual(readFileSync(join(pulled, 'manifest.json')), readFileSync(join(racers[i]!, 'manifest.json')));
  }
});

test('retention keeps the newest states remotely, removes marker then files, and spares the named one', async (t) => {
  const remote = new RemoteStore(await newBucket(server()));
  const { store } = blobStore(tmpDir(t), 9);
  const paths: string[] = [];
  for (let i = 0; i < 4; i++) {
    paths.push(await store.saveState());
    await remote.push(paths[i]!);
  }
  const names = paths.map((p) => p.split('/').pop()!);
  const removed = await remote.applyRetention(2, [names[0]!]);
  t.deepEqual(removed, [names[1]]);
  t.deepEqual(
    (await remote.list()).states.map((s) => s.name),
    [names[0], names[2], names[3]],
  );
  t.false(
    (await keysOf(remote)).some((k) => k.includes(names[1]!)),
    'no file of a removed state is left',
  );
  t.deepEqual(await remote.applyRetention(1), [names[0], names[2]]);
  t.deepEqual(
    (await remote.list()).states.map((s) => s.name),
    [names[3]],
  );
  t.true(existsSync(paths[0]!), 'local states are untouched');
});
