/**
 * `pamiq states list|inspect|verify --remote`, `push` and `pull` against a real versitygw.
 */
import anyTest from 'ava';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { RemoteStore } from '../../src/remote/store.js';
import { tmpDir } from '../helpers/tmp.js';
import { blobStore, newBucket, s3Test, useServer } from './server.js';

const test = s3Test(anyTest);
const server = useServer(anyTest);

const cli = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** Runs the CLI asynchronously (the S3 server runs in this process's event loop's child). */
function pamiq(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const s = server();
  const child = spawn(process.execPath, ['--import=tsx', cli, ...args], {
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: s.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s.secretAccessKey,
      AWS_REGION: s.region,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((r) => child.on('close', (status) => r({ status, stdout, stderr })));
}

test('push, list, inspect, verify and pull through the CLI; verify names a corrupted file', async (t) => {
  const s = server();
  const config = await newBucket(s);
  const url = `s3://${config.bucket}/${config.prefix}`;
  const remoteArgs = ['--remote', url, '--endpoint', s.endpoint];
  const src = tmpDir(t);
  const { store } = blobStore(src, 21);
  const older = await store.saveState();
  const newest = await store.saveState();
  const [olderName, newestName] = [older, newest].map((p) => p.split('/').pop()!);

  const one = await pamiq('states', 'push', older, ...remoteArgs);
  t.is(one.status, 0, one.stderr);
  t.regex(one.stdout, new RegExp(`pushed .*${olderName} as ${olderName}`));
  const dirPush = await pamiq('states', 'push', src, ...remoteArgs);
  t.is(dirPush.status, 0, dirPush.stderr);
  t.regex(dirPush.stdout, new RegExp(`pushed .*${newestName}`), 'a directory pushes its newest state');

  // Independent reads run at once (each CLI start costs seconds on a loaded machine).
  const dest = join(tmpDir(t), 'pulled');
  const [list, inspect, ok, pull, bucketGone] = await Promise.all([
    pamiq('states', 'list', ...remoteArgs),
    pamiq('states', 'inspect', newestName, ...remoteArgs),
    pamiq('states', 'verify', ...remoteArgs),
    pamiq('states', 'pull', dest, ...remoteArgs),
    pamiq('states', 'list', '--remote', 's3://no-such-bucket-here/x', '--endpoint', s.endpoint),
  ]);
  t.is(list.status, 0, list.stderr);
  t.regex(list.stdout, /NAME\s+CREATED \(UTC\)\s+SIZE\s+FILES\s+STATUS/);
  t.regex(list.stdout, new RegExp(`${olderName}\\s+\\S+Z\\s+[\\d.]+ KiB\\s+6\\s+committed`));

  t.is(inspect.status, 0, inspect.stderr);
  t.regex(inspect.stdout, /components\s+a, b/);
  t.regex(inspect.stdout, /a\/nested\/deeper\/file\.bin\s+[\d.]+ KiB\s+[0-9a-f]{16}/);

  t.is(ok.status, 0, ok.stdout + ok.stderr);
  t.regex(ok.stdout, /2 verified, 0 bad/);

  t.is(pull.status, 0, pull.stderr);
  t.deepEqual(readdirSync(dest), [newestName], 'pull takes the newest by default');
  t.deepEqual(readFileSync(join(dest, newestName, 'manifest.json')), readFileSync(join(newest, 'manifest.json')));

  t.is(bucketGone.status, 2);
  t.regex(bucketGone.stderr, /does not exist \(NoSuchBucket\)/);

  // Corrupt one remote file: verify exits 1 and names it.
  const remote = new RemoteStore(config);
  const keys = (await remote.client.send(new ListObjectsV2Command({ Bucket: config.bucket }))).Contents!.map(
    (o) => o.Key!,
  );
  const key = keys.find((k) => k.includes(olderName) && k.endsWith('/b/small.bin'))!;
  await remote.client.send(new PutObjectCommand({ Bucket: config.bucket, Key: key, Body: Buffer.from('tampered') }));
  const bad = await pamiq('states', 'verify', ...remoteArgs);
  t.is(bad.status, 1);
  t.regex(bad.stdout, new RegExp(`BAD  ${olderName}: b/small\\.bin: size`));
  t.regex(bad.stdout, /1 verified, 1 bad/);
  const pullOne = await pamiq('states', 'pull', dest, '--state', olderName, ...remoteArgs);
  t.not(pullOne.status, 0, 'the tampered state is refused');
  t.regex(pullOne.stderr, /corrupt: b\/small\.bin: size/);
  t.deepEqual(readdirSync(dest), [newestName], 'nothing of it appears locally');
});
