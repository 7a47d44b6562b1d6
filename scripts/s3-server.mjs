#!/usr/bin/env node
/**
 * A real S3-compatible server for the test suite and benchmarks: versitygw (Apache-2.0), installed with
 * the machine's Go toolchain into `.cache/s3-server/` inside the project (GOBIN, GOPATH, GOMODCACHE and
 * GOCACHE all there; gitignored), started on 127.0.0.1 on an ephemeral port with a posix backend in a
 * temporary directory, and stopped by its pid.
 *
 *   node scripts/s3-server.mjs install      install (or confirm) the binary; prints its path
 *   node scripts/s3-server.mjs run          start a server, print its endpoint, stop on Ctrl-C
 *
 * As a module: {@link goAvailable}, {@link ensureVersitygw}, {@link startS3Server}.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const VERSITYGW_VERSION = 'v1.8.0';
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CACHE_DIR = join(ROOT, '.cache', 's3-server');
const BIN = join(CACHE_DIR, 'bin', 'versitygw');
const STAMP = join(CACHE_DIR, 'bin', 'versitygw.version');
const LOCK = join(CACHE_DIR, 'install.lock');

/** The `go` executable on PATH (or $GOROOT/bin, /usr/local/go/bin), or undefined when there is none. */
export function goBinary() {
  const candidates = ['go', process.env.GOROOT && join(process.env.GOROOT, 'bin', 'go'), '/usr/local/go/bin/go'];
  for (const c of candidates.filter(Boolean)) {
    const r = spawnSync(c, ['version'], { encoding: 'utf8' });
    if (r.status === 0) return c;
  }
  return undefined;
}

/** True when the S3 server can be used: it is installed, or a Go toolchain can install it. */
export function goAvailable() {
  return installed() || goBinary() !== undefined;
}

function installed() {
  return existsSync(BIN) && existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === VERSITYGW_VERSION;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Installs versitygw into the project cache unless it is there. Concurrent callers (parallel spec
 * files) wait for one install through a lock file.
 * @returns the binary's path.
 * @throws Error when no Go toolchain exists or `go install` fails (its output is included).
 */
export async function ensureVersitygw() {
  if (installed()) return BIN;
  const go = goBinary();
  if (!go) throw new Error('No Go toolchain (go) found: versitygw cannot be installed');
  mkdirSync(join(CACHE_DIR, 'bin'), { recursive: true });
  for (;;) {
    try {
      closeSync(openSync(LOCK, 'wx'));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      // A lock older than 15 minutes belongs to a dead installer.
      if (Date.now() - statSync(LOCK).mtimeMs > 15 * 60_000) rmSync(LOCK, { force: true });
      await sleep(500);
      if (installed()) return BIN;
    }
  }
  try {
    if (installed()) return BIN;
    const env = {
      ...process.env,
      GOBIN: join(CACHE_DIR, 'bin'),
      GOPATH: join(CACHE_DIR, 'gopath'),
      GOMODCACHE: join(CACHE_DIR, 'gopath', 'pkg', 'mod'),
      GOCACHE: join(CACHE_DIR, 'gocache'),
      GOFLAGS: '-modcacherw',
    };
    const child = spawn(go, ['install', `github.com/versity/versitygw/cmd/versitygw@${VERSITYGW_VERSION}`], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const code = await new Promise((r) => child.on('close', r));
    if (code !== 0) throw new Error(`go install versitygw@${VERSITYGW_VERSION} failed (exit ${code}):\n${output}`);
    writeFileSync(STAMP, `${VERSITYGW_VERSION}\n`);
    return BIN;
  } finally {
    rmSync(LOCK, { force: true });
  }
}

async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

function reachable(port) {
  return new Promise((r) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      r(true);
    });
    s.once('error', () => r(false));
  });
}

/**
 * Starts versitygw on 127.0.0.1. `dataDir` (default: a new temporary directory) holds the buckets;
 * `port` (default: a free ephemeral one) lets a stopped server come back at the same endpoint.
 * @returns a handle: endpoint, credentials, dataDir, `stop()` (SIGTERM, waits), `kill()` (SIGKILL,
 *   waits), `start()` (again, same port and data), `dispose()` (stop and remove the temp dirs).
 * @throws Error with the server's log when it does not accept connections within 10 s.
 */
export async function startS3Server(options = {}) {
  const bin = await ensureVersitygw();
  const base = mkdtempSync(join(tmpdir(), 'pamiq-s3-'));
  const dataDir = options.dataDir ?? join(base, 'data');
  const versionsDir = join(base, 'versions');
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(versionsDir, { recursive: true });
  const accessKeyId = 'pamiqtestkey';
  const secretAccessKey = 'pamiqtestsecret';
  const port = options.port ?? (await freePort());
  let child;
  let exited;
  const handle = {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    region: 'us-east-1',
    accessKeyId,
    secretAccessKey,
    dataDir,
    get pid() {
      return child?.pid;
    },
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    /** Starts the server unless it runs. */
    async start() {
      if (handle.running) return;
      const log = join(base, 'versitygw.log');
      const fd = openSync(log, 'a');
      child = spawn(
        bin,
        [
          '--access',
          accessKeyId,
          '--secret',
          secretAccessKey,
          '--port',
          `127.0.0.1:${port}`,
          'posix',
          '--versioning-dir',
          versionsDir,
          dataDir,
        ],
        { stdio: ['ignore', fd, fd] },
      );
      closeSync(fd);
      exited = new Promise((r) => child.once('exit', r));
      for (let i = 0; i < 200; i++) {
        if (child.exitCode !== null) break;
        if (await reachable(port)) return;
        await sleep(50);
      }
      await handle.kill();
      throw new Error(`versitygw did not start on 127.0.0.1:${port}:\n${readFileSync(log, 'utf8')}`);
    },
    async stop(signal = 'SIGTERM') {
      if (!handle.running) return;
      child.kill(signal);
      await exited;
    },
    kill() {
      return handle.stop('SIGKILL');
    },
    async dispose() {
      await handle.stop();
      rmSync(base, { recursive: true, force: true });
    },
  };
  await handle.start();
  return handle;
}

const invoked = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invoked) {
  const cmd = process.argv[2] ?? 'install';
  if (cmd === 'install') {
    console.log(await ensureVersitygw());
  } else if (cmd === 'run') {
    const s = await startS3Server();
    console.log(
      `versitygw ${VERSITYGW_VERSION} at ${s.endpoint} (access ${s.accessKeyId}, secret ${s.secretAccessKey}, data ${s.dataDir})`,
    );
    const stop = () => s.dispose().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  } else {
    console.error('usage: node scripts/s3-server.mjs install|run');
    process.exitCode = 2;
  }
}
