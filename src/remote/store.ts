/**
 * RemoteStore: committed states kept in an S3-compatible bucket.
 *
 * Layout under `<prefix>/`:
 *
 *   <name>/<token>/<file>        every file of the state's manifest, as it is on disk (CRC32C attached)
 *   <name>/manifest.json         the state's manifest.json, byte for byte: the remote commit marker
 *
 * `<token>` is the XXH3 of the manifest's bytes. The marker is uploaded last, with `If-None-Match: *`,
 * so a state is visible remotely only once all its files are there, and a marker is never replaced.
 * Two writers that upload different states under one name write their files under different tokens
 * (their manifests differ), so neither touches the other's bytes; only one marker is created and the
 * other writer takes the next free name. Two writers with the same manifest write identical bytes to
 * identical keys, which is harmless. A reader derives the token from the marker it read, so it always
 * reads the files of that very manifest, and every download is verified against its XXH3.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { engine } from '../backend/select.js';
import type { Manifest } from '../backend/types.js';
import { getLogger } from '../log.js';
import { nameMatcher } from '../state/names.js';
import { resolveStatesDir } from '../state/statesdir.js';
import { createS3Client } from './client.js';
import type { ResolvedRemoteConfig } from './config.js';
import {
  RemoteError,
  RemoteStateCorruptError,
  RemoteStateNotFoundError,
  describeRemoteError,
  errorCode,
  httpStatus,
} from './errors.js';

const log = getLogger('remote');

const MARKER = 'manifest.json';

/** A state the remote holds (its marker exists and parses). */
export interface RemoteStateEntry {
  name: string;
  createdAtNs: string;
  size: number;
  fileCount: number;
  components: string[];
  /** XXH3 of the manifest bytes; the files live under `<name>/<token>/`. */
  token: string;
}

export interface RemoteListing {
  /** Committed remote states, oldest first (by manifest creation time, then name). */
  states: RemoteStateEntry[];
  /** Names that hold files but no readable marker: uploads in progress or abandoned; never loaded. */
  incomplete: { name: string; reason: string }[];
}

export interface PushResult {
  /** The remote name (the local name, or the next free one when another writer holds it). */
  remoteName: string;
  /** True when the remote already held this very state (nothing was uploaded). */
  alreadyThere: boolean;
  bytes: number;
}

export interface RemoteStoreHooks {
  /**
   * Awaited after every data file of a push is uploaded and before its marker is written (tests use it
   * to stop the server exactly there).
   */
  beforeMarker?(remoteName: string): Promise<void> | void;
}

const parseManifest = (bytes: Uint8Array, what: string): Manifest => {
  let m: Manifest;
  try {
    m = JSON.parse(Buffer.from(bytes).toString('utf8')) as Manifest;
  } catch (err) {
    throw new RemoteError(`${what}: the marker is not JSON`, { cause: err });
  }
  if (m?.format !== 'pamiq-state' || !Array.isArray(m.files) || typeof m.createdAtNs !== 'string') {
    throw new RemoteError(`${what}: the marker is not a pamiq-state manifest`);
  }
  for (const f of m.files) {
    if (
      typeof f.path !== 'string' ||
      f.path.split('/').some((s) => s === '' || s === '.' || s === '..') ||
      f.path === MARKER
    ) {
      throw new RemoteError(`${what}: the manifest lists an unsafe path ${JSON.stringify(f.path)}`);
    }
  }
  return m;
};

const byAge = (a: RemoteStateEntry, b: RemoteStateEntry) => {
  const d = BigInt(a.createdAtNs) - BigInt(b.createdAtNs);
  return d < 0n ? -1 : d > 0n ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
};

/** `name` with `_i` inserted before a final `.state` (else appended), as local commits name duplicates. */
export function suffixedName(name: string, i: number): string {
  return name.endsWith('.state') ? `${name.slice(0, -'.state'.length)}_${i}.state` : `${name}_${i}`;
}

/** Runs `fn` over `items` with at most `limit` in flight; rejects with the first failure after all settled. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  let failure: unknown;
  const worker = async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      try {
        await fn(next);
      } catch (err) {
        failure ??= err;
        queue.length = 0;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
}

async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class RemoteStore {
  readonly client: S3Client;
  /** `s3://bucket/prefix` (plus the endpoint), for messages. */
  readonly where: string;

  constructor(
    readonly config: ResolvedRemoteConfig,
    options: { client?: S3Client; hooks?: RemoteStoreHooks } = {},
  ) {
    this.client = options.client ?? createS3Client(config);
    this.hooks = options.hooks ?? {};
    this.where = `s3://${config.bucket}/${config.prefix}${config.endpoint ? ` at ${config.endpoint}` : ''}`;
  }

  private readonly hooks: RemoteStoreHooks;

  /** The key of `rel` (or of the directory) of the remote state `name`. */
  key(name: string, rel = ''): string {
    return `${this.config.prefix ? `${this.config.prefix}/` : ''}${name}/${rel}`;
  }

  private fail(what: string, err: unknown): RemoteError {
    if (err instanceof RemoteError) return err;
    return new RemoteError(`${what}: ${describeRemoteError(err, this.where)}`, { cause: err });
  }

  /** The marker bytes of `name`, or undefined when it has none. */
  async readMarker(name: string, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    try {
      const res = await this.client.send(
        new GetObjectCommand({ Bucket: this.config.bucket, Key: this.key(name, MARKER) }),
        {
          abortSignal: signal,
        },
      );
      return await res.Body!.transformToByteArray();
    } catch (err) {
      if (errorCode(err) === 'NoSuchKey' || httpStatus(err) === 404) {
        if (errorCode(err) === 'NoSuchBucket') throw this.fail(`Reading '${name}'`, err);
        return undefined;
      }
      throw this.fail(`Reading the marker of '${name}'`, err);
    }
  }

  /**
   * Lists the remote states (names matching `pattern`, default all).
   * @throws RemoteError when the bucket cannot be listed (unreachable, credentials, missing bucket).
   */
  async list(pattern?: string): Promise<RemoteListing> {
    const root = this.config.prefix ? `${this.config.prefix}/` : '';
    const names: string[] = [];
    try {
      let token: string | undefined;
      do {
        const res = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.config.bucket,
            Prefix: root,
            Delimiter: '/',
            ContinuationToken: token,
          }),
        );
        for (const p of res.CommonPrefixes ?? []) names.push(p.Prefix!.slice(root.length, -1));
        token = res.IsTruncated ? res.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw this.fail(`Listing ${this.where}`, err);
    }
    const states: RemoteStateEntry[] = [];
    const incomplete: RemoteListing['incomplete'] = [];
    const matches = pattern === undefined ? (n: string) => !n.startsWith('.') : nameMatcher(pattern);
    const wanted = names.filter(matches);
    await eachLimited(wanted, 8, async (name) => {
      const bytes = await this.readMarker(name);
      if (!bytes) {
        incomplete.push({ name, reason: 'no commit marker (upload in progress or abandoned)' });
        return;
      }
      try {
        const m = parseManifest(bytes, `Remote state '${name}'`);
        states.push({
          name,
          createdAtNs: m.createdAtNs,
          size: m.files.reduce((s, f) => s + f.size, 0),
          fileCount: m.files.length,
          components: m.components,
          token: engine().xxh3(bytes),
        });
      } catch (err) {
        incomplete.push({ name, reason: (err as Error).message });
      }
    });
    states.sort(byAge);
    incomplete.sort((a, b) => (a.name < b.name ? -1 : 1));
    return { states, incomplete };
  }

  /** The parsed manifest of the remote state `name`. @throws RemoteStateNotFoundError, RemoteError. */
  async manifest(name: string): Promise<Manifest> {
    const bytes = await this.readMarker(name);
    if (!bytes) throw new RemoteStateNotFoundError(name, this.where);
    return parseManifest(bytes, `Remote state '${name}'`);
  }

  /**
   * Uploads the committed local state at `statePath`: its files in parallel (multipart above the part
   * size, CRC32C attached), then its manifest as the marker with `If-None-Match: *`. When the name is
   * taken remotely by a different state, the next free name (`_1`, `_2`, …) is used; when it holds this
   * very state, nothing is uploaded. A failed push leaves no marker, so it is never seen as a state.
   * @throws RemoteError describing the failure (unreachable, credentials, bucket, full, …).
   */
  async push(statePath: string, signal?: AbortSignal): Promise<PushResult> {
    const path = resolve(statePath);
    const localName = path.split(/[\\/]/).pop()!;
    let markerBytes: Uint8Array;
    try {
      markerBytes = await readFile(join(path, MARKER));
    } catch (err) {
      throw new RemoteError(`'${path}' is not a committed state (no readable manifest.json)`, { cause: err });
    }
    const manifest = parseManifest(markerBytes, `Local state '${path}'`);
    const token = engine().xxh3(markerBytes);
    const bytes = manifest.files.reduce((s, f) => s + f.size, 0);
    for (let i = 0; i < 1000; i++) {
      const name = i === 0 ? localName : suffixedName(localName, i);
      const existing = await this.readMarker(name, signal);
      if (existing) {
        if (Buffer.from(existing).equals(Buffer.from(markerBytes)))
          return { remoteName: name, alreadyThere: true, bytes };
        continue; // another writer's state holds this name
      }
      await this.uploadFiles(path, name, token, manifest, signal);
      await this.hooks.beforeMarker?.(name);
      try {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.config.bucket,
            Key: this.key(name, MARKER),
            Body: markerBytes,
            IfNoneMatch: '*',
            ChecksumAlgorithm: 'CRC32C',
            ContentType: 'application/json',
          }),
          { abortSignal: signal },
        );
        log.info(`Uploaded '${path}' to ${this.where} as '${name}' (${bytes} bytes)`);
        return { remoteName: name, alreadyThere: false, bytes };
      } catch (err) {
        if (httpStatus(err) !== 412 && errorCode(err) !== 'PreconditionFailed')
          throw this.fail(`Committing '${name}'`, err);
        // Another writer committed this name between our check and our marker.
        const now = await this.readMarker(name, signal);
        if (now && Buffer.from(now).equals(Buffer.from(markerBytes)))
          return { remoteName: name, alreadyThere: true, bytes };
        log.warn(`Remote name '${name}' was taken by another writer meanwhile; trying the next free name`);
        await this.deleteKeys(await this.listKeys(this.key(name, `${token}/`))).catch(() => undefined);
      }
    }
    throw new RemoteError(`No free remote name for '${localName}' in ${this.where}`);
  }

  private async uploadFiles(path: string, name: string, token: string, m: Manifest, signal?: AbortSignal) {
    const large = m.files.filter((f) => f.size > this.config.partSize).length;
    // Large files split into parts: a few files at a time, each with many parts in flight.
    const fileLimit =
      large > 0 ? Math.max(1, Math.min(4, Math.floor(this.config.concurrency / 2))) : this.config.concurrency;
    const files = [...m.files].sort((a, b) => b.size - a.size);
    await eachLimited(files, fileLimit, async (f) => {
      const upload = new Upload({
        client: this.client,
        params: {
          Bucket: this.config.bucket,
          Key: this.key(name, `${token}/${f.path}`),
          Body: f.size > 0 ? createReadStream(join(path, f.path), { highWaterMark: 1024 * 1024 }) : Buffer.alloc(0),
          ChecksumAlgorithm: 'CRC32C',
        },
        partSize: this.config.partSize,
        queueSize: this.config.concurrency,
        leavePartsOnError: false,
      });
      const onAbort = () => void upload.abort().catch(() => undefined);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await upload.done();
      } catch (err) {
        throw this.fail(`Uploading '${f.path}' of '${name}'`, err);
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    });
  }

  /**
   * Downloads the remote state `name` into `statesDir` and verifies every file's size and XXH3 against
   * its manifest before it appears there (temporary directory, fsync, rename).
   * @returns the local path. When a state of that name is already there with the same manifest, it is
   *   returned as is.
   * @throws RemoteStateNotFoundError, RemoteStateCorruptError (nothing is committed locally), RemoteError.
   */
  async pull(name: string, statesDir: string): Promise<string> {
    const dir = resolveStatesDir(statesDir);
    const target = join(dir, name);
    const markerBytes = await this.readMarker(name);
    if (!markerBytes) throw new RemoteStateNotFoundError(name, this.where);
    const manifest = parseManifest(markerBytes, `Remote state '${name}'`);
    if (existsSync(target)) {
      const local = await readFile(join(target, MARKER)).catch(() => undefined);
      if (local && Buffer.from(local).equals(Buffer.from(markerBytes))) {
        const report = await engine().verifyState(target);
        if (report.problems.length === 0) return target;
      }
      throw new RemoteError(`Cannot pull '${name}': '${target}' exists and is not the same valid state`);
    }
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.pamiq-tmp-${name}-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await this.downloadInto(tmp, name, engine().xxh3(markerBytes), manifest, markerBytes);
      const report = await engine().verifyState(tmp);
      if (report.problems.length) throw new RemoteStateCorruptError(name, report.problems);
      await rename(tmp, target);
      await fsyncPath(dir);
      log.info(`Downloaded and verified '${name}' from ${this.where} into '${target}'`);
      return target;
    } catch (err) {
      await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      throw this.fail(`Downloading '${name}'`, err);
    }
  }

  /**
   * Downloads `name` into a temporary directory beside `scratchDir`'s contents and verifies it.
   * @returns the problems found (empty: intact); the download is removed either way.
   */
  async verify(name: string, scratchDir: string): Promise<{ path: string; fault: string; detail: string }[]> {
    const markerBytes = await this.readMarker(name);
    if (!markerBytes) throw new RemoteStateNotFoundError(name, this.where);
    const manifest = parseManifest(markerBytes, `Remote state '${name}'`);
    const tmp = join(resolve(scratchDir), `.pamiq-tmp-verify-${name}-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await this.downloadInto(tmp, name, engine().xxh3(markerBytes), manifest, markerBytes, false);
      return (await engine().verifyState(tmp)).problems;
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  private async downloadInto(
    tmp: string,
    name: string,
    token: string,
    m: Manifest,
    markerBytes: Uint8Array,
    durable = true,
  ) {
    await mkdir(tmp, { recursive: true });
    const files = [...m.files].sort((a, b) => b.size - a.size);
    await eachLimited(files, this.config.concurrency, async (f) => {
      const dest = join(tmp, f.path);
      await mkdir(dirname(dest), { recursive: true });
      let res;
      try {
        res = await this.client.send(
          new GetObjectCommand({ Bucket: this.config.bucket, Key: this.key(name, `${token}/${f.path}`) }),
        );
      } catch (err) {
        // A missing file is reported by the verification that follows, by its path.
        if (errorCode(err) === 'NoSuchKey') return;
        throw err;
      }
      await pipeline(res.Body as Readable, createWriteStream(dest, { flags: 'wx', highWaterMark: 1024 * 1024 }));
      if (durable) await fsyncPath(dest);
    });
    await writeFile(join(tmp, MARKER), markerBytes, { flag: 'wx' });
    if (!durable) return;
    await fsyncPath(join(tmp, MARKER));
    const dirs = new Set<string>([tmp]);
    for (const f of m.files) for (let d = dirname(join(tmp, f.path)); d.startsWith(tmp); d = dirname(d)) dirs.add(d);
    for (const d of [...dirs].sort((a, b) => b.length - a.length)) await fsyncPath(d);
  }

  /**
   * Removes the remote state `name`: its marker first (it stops being a state at once), then its files.
   * @throws RemoteError.
   */
  async remove(name: string): Promise<void> {
    try {
      const markerKey = this.key(name, MARKER);
      await this.deleteKeys([markerKey]);
      await this.deleteKeys((await this.listKeys(this.key(name))).filter((k) => k !== markerKey));
    } catch (err) {
      throw this.fail(`Removing '${name}'`, err);
    }
  }

  /**
   * Keeps the `maxKeep` newest remote states (manifest creation time, then name) and removes the rest,
   * never one named in `spare`.
   * @returns the removed names.
   */
  async applyRetention(maxKeep: number, spare: Iterable<string> = []): Promise<string[]> {
    const { states } = await this.list();
    const keep = new Set(spare);
    const removed: string[] = [];
    for (const s of states.slice(0, Math.max(0, states.length - maxKeep))) {
      if (keep.has(s.name)) continue;
      await this.remove(s.name);
      removed.push(s.name);
      log.info(`Removed remote state '${s.name}' from ${this.where} (keeping the ${maxKeep} newest)`);
    }
    return removed;
  }

  private async listKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of res.Contents ?? []) keys.push(o.Key!);
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  private async deleteKeys(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const res = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.config.bucket,
          Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
        }),
      );
      if (res.Errors?.length) {
        throw new RemoteError(`Deleting ${res.Errors.map((e) => `${e.Key}: ${e.Code}`).join(', ')} failed`);
      }
    }
  }
}
