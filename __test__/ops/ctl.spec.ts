/**
 * `pamiq ctl` as a real subprocess against a real system: output and exit codes (0 done, 1 failed,
 * 2 usage, 3 offline, 4 refused, 5 unauthorized), `--wait` and `--json`.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setLogLevel } from '../../src/log.js';
import { tmpDir } from '../helpers/tmp.js';
import { launchFixture, until } from './fixture.js';

const cli = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..', 'src', 'cli', 'main.ts');

test.before(() => setLogLevel('warn'));

/** Runs `pamiq ctl …` without blocking this process (the server under test lives here). */
function ctl(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import=tsx', cli, 'ctl', ...args], {
      env: { ...process.env, PAMIQ_API_TOKEN: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

test.serial('status, pause --wait, save --wait, resume, --json and shutdown --wait', async (t) => {
  t.timeout(10 * 60_000, 'each pamiq ctl call starts a process; slow on a loaded machine');
  const dir = tmpDir(t, 'pamiq-ctl-');
  const { run } = launchFixture(dir);
  t.teardown(async () => {
    run.system.shutdown();
    await run.catch(() => undefined);
  });
  await until('the web API', () => run.system.webApiUrl !== undefined);
  const at = ['--host', '127.0.0.1', '--port', new URL(run.system.webApiUrl!).port];

  t.like(await ctl(['status', ...at]), { code: 0, stdout: 'active\n' });
  const json = await ctl(['status', '--json', ...at]);
  t.is(json.code, 0);
  t.deepEqual(JSON.parse(json.stdout), { status: 1, name: 'active' });

  t.like(await ctl(['pause', '--wait', ...at]), { code: 0, stdout: 'ok\n' });
  t.true(run.system.paused);
  t.like(await ctl(['status', ...at]), { code: 0, stdout: 'paused\n' });

  const save = await ctl(['save', '--wait', ...at]);
  t.is(save.code, 0, save.stderr);
  t.true(existsSync(save.stdout.trim()), save.stdout);
  const saveJson = await ctl(['save', '--wait', '--json', ...at]);
  t.like(JSON.parse(saveJson.stdout), { command: 'save', httpStatus: 200, result: 'ok' });
  t.true(existsSync(JSON.parse(saveJson.stdout).path));

  t.like(await ctl(['resume', ...at]), { code: 0, stdout: 'ok\n' });
  await until('resumed', () => !run.system.paused);

  const down = await ctl(['shutdown', '--wait', ...at]);
  t.like(down, { code: 0, stdout: 'stopped\n' });
  const result = await run;
  t.truthy(result.finalStatePath);
  t.true(existsSync(result.finalStatePath!));
  // Gone now: offline.
  const gone = await ctl(['status', ...at]);
  t.is(gone.code, 3);
  t.regex(gone.stdout, /cannot reach the system at http:\/\/127\.0\.0\.1:\d+/);
});

test.serial('exit codes: 3 offline, 2 usage, 4 queue full, 1 failed pause, 5 bad token', async (t) => {
  t.timeout(10 * 60_000, 'each pamiq ctl call starts a process; slow on a loaded machine');
  const port = String(await freePort());
  const offline = await ctl(['pause', '--host', '127.0.0.1', '--port', port]);
  t.is(offline.code, 3);
  t.regex(offline.stderr, /cannot reach the system/);
  const offJson = await ctl(['status', '--json', '--host', '127.0.0.1', '--port', port]);
  t.is(offJson.code, 3);
  t.like(JSON.parse(offJson.stdout), { status: 6, name: 'offline' });

  t.is((await ctl(['explode', '--port', port])).code, 2);
  t.is((await ctl([])).code, 2);
  t.is((await ctl(['status', '--port', 'many'])).code, 2);

  // A system whose pauses wait as long as a step is held: the queue stays full while we look.
  const dir = tmpDir(t, 'pamiq-ctl-');
  const { run, agent } = launchFixture(dir, { timeoutForAllThreadsPause: 3600, webApiToken: 'tok' });
  t.teardown(async () => {
    agent.release();
    run.system.shutdown();
    await run.catch(() => undefined);
  });
  await until('the web API', () => run.system.webApiUrl !== undefined);
  const at = ['--host', '127.0.0.1', '--port', new URL(run.system.webApiUrl!).port];

  const noToken = await ctl(['status', ...at]);
  t.is(noToken.code, 5);
  t.regex(noToken.stdout, /401: Missing or invalid bearer token/);
  t.is((await ctl(['status', ...at, '--token', 'wrong'])).code, 5);
  t.like(await ctl(['status', ...at], { PAMIQ_API_TOKEN: 'tok' }), { code: 0, stdout: 'active\n' });
  const auth = [...at, '--token', 'tok'];

  await until('steps', () => agent.steps > 2);
  await agent.hold();
  // One pause in progress plus one queued fill the queue (size 1): the next is refused (4).
  const api = (path: string, method = 'POST') =>
    fetch(`${run.system.webApiUrl}${path}`, { method, headers: { authorization: 'Bearer tok' } }).then(
      (r) => r.json() as Promise<any>,
    );
  t.deepEqual(await api('/api/pause'), { result: 'ok' });
  await until('pause in progress', async () => (await api('/api/status', 'GET')).status === 2);
  t.deepEqual(await api('/api/resume'), { result: 'ok' });
  const refused = await ctl(['save', ...auth]);
  t.is(refused.code, 4);
  t.regex(refused.stderr, /503: Command queue is full, try again later/);
  agent.release();
  await until('resumed', async () => (await api('/api/status', 'GET')).status === 1);
  run.system.shutdown();
  await run;

  // Loops that cannot pause in time: the waited pause fails (1).
  const other = launchFixture(tmpDir(t, 'pamiq-ctl-'), {
    timeoutForAllThreadsPause: 0.5,
    maxAttemptsToPauseAllThreads: 1,
  });
  t.teardown(async () => {
    other.agent.release();
    other.run.system.shutdown();
    await other.run.catch(() => undefined);
  });
  await until('the web API', () => other.run.system.webApiUrl !== undefined);
  await until('steps', () => other.agent.steps > 2);
  await other.agent.hold();
  const failed = await ctl([
    'pause',
    '--wait',
    '--host',
    '127.0.0.1',
    '--port',
    new URL(other.run.system.webApiUrl!).port,
  ]);
  t.is(failed.code, 1);
  t.regex(failed.stderr, /500: The loops did not pause in time/);
  other.agent.release();
});
