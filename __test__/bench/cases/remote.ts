/**
 * Case `remote`: a multi-file state through a real versitygw on 127.0.0.1 (scripts/s3-server.mjs).
 *
 *   PAMIQ_BACKEND=native|ts node --import tsx __test__/bench/cases/remote.ts --json --dir DIR [--mb 400] [--reps 1]
 *
 * Per repetition, in rotated order:
 *   - push: RemoteStore.push of the state (files in parallel, multipart, CRC32C, marker last), against
 *     the limit: the same bytes sent as one object with one lib-storage `Upload` (same part size,
 *     same parts in flight, CRC32C);
 *   - pull: RemoteStore.pull (download, fsync, XXH3 verification, rename) against one GetObject of
 *     that object streamed to a file;
 *   - resume: from an empty states directory to a loaded `latest` (list, pull, verify, loadState).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { startS3Server } from '../../../scripts/s3-server.mjs';
import { backend, engine } from '../../../src/backend/select.js';
import { resolveRemoteConfig } from '../../../src/remote/config.js';
import { latestWithRemote } from '../../../src/remote/launch.js';
import { RemoteStore } from '../../../src/remote/store.js';
import type { PersistentState } from '../../../src/persistence/persistent.js';
import { StateStore } from '../../../src/state/store.js';
import { childArgs, num, now, Recorder, str } from '../lib/common.js';

const args = childArgs(['dir', 'mb', 'reps']);
const root = str(args, 'dir');
const mb = num(args, 'mb', 400);
const reps = num(args, 'reps', 1);
const FILES = 8;
const rec = new Recorder();

/** Eight files of mb/8 each (plus a small one), loaded back by reading them. */
class Blobs implements PersistentState {
  loadedBytes = 0;
  constructor(private readonly make: boolean) {}
  saveState(path: string) {
    mkdirSync(path, { recursive: true });
    if (!this.make) return;
    const size = Math.floor((mb * 1024 * 1024) / FILES);
    for (let i = 0; i < FILES; i++) writeFileSync(join(path, `part-${i}.bin`), randomBytes(size));
    writeFileSync(join(path, 'meta.json'), JSON.stringify({ files: FILES, size }));
  }
  async loadState(path: string) {
    const meta = JSON.parse(Buffer.from(await readFile(join(path, 'meta.json'))).toString()) as { files: number };
    for (let i = 0; i < meta.files; i++) this.loadedBytes += (await readFile(join(path, `part-${i}.bin`))).byteLength;
  }
}

const server = await startS3Server();
try {
  mkdirSync(root, { recursive: true });
  const config = resolveRemoteConfig({
    bucket: 'bench',
    prefix: 'states',
    endpoint: server.endpoint,
    region: server.region,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
  const remote = new RemoteStore(config);
  await remote.client.send(new CreateBucketCommand({ Bucket: config.bucket }));

  const store = new StateStore({ statesDir: join(root, 'local') });
  store.register('blobs', new Blobs(true));
  const statePath = await store.saveState();
  const manifest = (await engine().verifyState(statePath)).manifest;
  const bytes = manifest.files.reduce((s, f) => s + f.size, 0);
  rec.fact('stateBytes', bytes);
  rec.fact('files', manifest.files.length);
  rec.fact('partSize', config.partSize);
  rec.fact('concurrency', config.concurrency);

  /** The state's files one after another: the same bytes, one stream. */
  const concatenated = (): Readable => {
    const out = new PassThrough({ highWaterMark: 1024 * 1024 });
    void (async () => {
      for (const f of manifest.files) await pipeline(createReadStream(join(statePath, f.path)), out, { end: false });
      out.end();
    })().catch((err: unknown) => out.destroy(err as Error));
    return out;
  };

  const steps: Record<string, (r: number) => Promise<void>> = {
    async push(r) {
      const t0 = now();
      const res = await remote.push(statePath);
      rec.add('pushMs', now() - t0);
      if (res.alreadyThere) throw new Error('push found the state already there');
      // Next repetition uploads again: remove it (untimed).
      const p0 = now();
      const dir = join(root, `pull-${r}`);
      await remote.pull(res.remoteName, dir);
      rec.add('pullMs', now() - p0);
      rmSync(dir, { recursive: true, force: true });
      const e0 = now();
      const empty = join(root, `resume-${r}`);
      const fresh = new StateStore({ statesDir: empty });
      const blobs = new Blobs(false);
      fresh.register('blobs', blobs);
      const latest = await latestWithRemote(remote, empty, '*.state');
      if (!latest) throw new Error('no latest state on the remote');
      await fresh.loadState(latest);
      rec.add('resumeMs', now() - e0);
      if (blobs.loadedBytes < bytes - 100) throw new Error(`loaded ${blobs.loadedBytes} of ${bytes} bytes`);
      rmSync(empty, { recursive: true, force: true });
      await remote.remove(res.remoteName);
    },
    async limit(r) {
      const key = `limit/one-object-${r}`;
      const t0 = now();
      await new Upload({
        client: remote.client,
        params: { Bucket: config.bucket, Key: key, Body: concatenated(), ChecksumAlgorithm: 'CRC32C' },
        partSize: config.partSize,
        queueSize: config.concurrency,
      }).done();
      rec.add('limitUploadMs', now() - t0);
      const g0 = now();
      const res = await remote.client.send(new GetObjectCommand({ Bucket: config.bucket, Key: key }));
      const file = join(root, `limit-${r}.bin`);
      await pipeline(res.Body as Readable, createWriteStream(file));
      rec.add('limitDownloadMs', now() - g0);
      rmSync(file, { force: true });
    },
  };
  const order = Object.keys(steps);
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < order.length; i++) await steps[order[(i + r) % order.length]!]!(r);
  }
} finally {
  await server.dispose();
  rmSync(root, { recursive: true, force: true });
}
rec.emit(backend().name);
