/**
 * One real versitygw per spec file (scripts/s3-server.mjs), a bucket per test, and multi-file states.
 */
import type { TestFn } from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { goAvailable, startS3Server, type S3ServerHandle } from '../../scripts/s3-server.mjs';
import { resolveRemoteConfig, type RemoteConfig, type ResolvedRemoteConfig } from '../../src/remote/config.js';
import type { PersistentState } from '../../src/persistence/persistent.js';
import { StateStore } from '../../src/state/store.js';

/** Why the S3 specs cannot run here, or undefined when they can. */
export const skipReason = goAvailable()
  ? undefined
  : 'no Go toolchain: versitygw (the real S3 server of these specs) cannot be installed';

/** `test`, or a visible skip of every test with the reason. */
export function s3Test(test: TestFn): TestFn {
  if (skipReason === undefined) return test;
  const skipped = ((title: string, ...rest: unknown[]) =>
    (test.skip as (...a: unknown[]) => void)(`${title} (skipped: ${skipReason})`, ...rest)) as unknown as TestFn;
  return Object.assign(skipped, { serial: skipped, before: () => undefined, after: () => undefined, skip: test.skip });
}

let server: S3ServerHandle | undefined;

export function useServer(test: TestFn): () => S3ServerHandle {
  if (skipReason === undefined) {
    test.before(async () => {
      server = await startS3Server();
    });
    test.after.always(async () => {
      await server?.dispose();
    });
  }
  return () => server!;
}

export function client(s: S3ServerHandle, overrides: Partial<{ accessKeyId: string; secretAccessKey: string }> = {}) {
  return new S3Client({
    endpoint: s.endpoint,
    region: s.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey, ...overrides },
  });
}

/** A new bucket; returns a resolved remote config for it (fast retries for specs). */
export async function newBucket(s: S3ServerHandle, extra: Partial<RemoteConfig> = {}): Promise<ResolvedRemoteConfig> {
  const bucket = `b-${randomBytes(6).toString('hex')}`;
  const c = client(s);
  await c.send(new CreateBucketCommand({ Bucket: bucket }));
  c.destroy();
  return remoteConfig(s, bucket, extra);
}

export function remoteConfig(
  s: S3ServerHandle,
  bucket: string,
  extra: Partial<RemoteConfig> = {},
): ResolvedRemoteConfig {
  return resolveRemoteConfig({
    bucket,
    prefix: 'states/run-1',
    endpoint: s.endpoint,
    region: s.region,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
    partSize: 5 * 1024 * 1024,
    concurrency: 4,
    retryInitialMs: 50,
    retryMaxMs: 400,
    shutdownWaitSeconds: 20,
    ...extra,
  });
}

/** Writes a fixed set of files (nested, empty, and one above the part size when `big`). */
export class Blobs implements PersistentState {
  files = new Map<string, Uint8Array>();
  constructor(seed: number, big = false) {
    const rnd = (n: number) => {
      const b = randomBytes(n);
      b[0] = seed & 0xff;
      return new Uint8Array(b);
    };
    this.files.set('small.bin', rnd(1000));
    this.files.set('empty.bin', new Uint8Array(0));
    this.files.set('nested/deeper/file.bin', rnd(70_000));
    if (big) this.files.set('big.bin', rnd(12 * 1024 * 1024 + 123));
  }
  saveState(path: string) {
    for (const [rel, bytes] of this.files) {
      mkdirSync(join(path, rel, '..'), { recursive: true });
      writeFileSync(join(path, rel), bytes);
    }
  }
  loaded = new Map<string, Buffer>();
  async loadState(path: string) {
    for (const rel of this.files.keys()) this.loaded.set(rel, readFileSync(join(path, rel)));
  }
}

/** A store with two components (`a`, `b`) writing multi-file states into `dir`. */
export function blobStore(dir: string, seed = 1, big = false) {
  const store = new StateStore({ statesDir: dir });
  const a = new Blobs(seed, big);
  const b = new Blobs(seed + 1);
  store.register('a', a);
  store.register('b', b);
  return { store, a, b };
}
