/**
 * The web API against a real launched system over 127.0.0.1 with a real HTTP client (fetch): every
 * path, method, status and body of PAMIQ-Core's contract, the extensions, bad requests, the token,
 * a full command queue, and shutdown through the API ending in a final save.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { FixedIntervalInteraction, LaunchConfigError, SequentialBuffer, launch } from '../../src/index.js';
import { captureLogs, setLogLevel } from '../../src/log.js';
import { resolveLaunchConfig } from '../../src/launch/config.js';
import { tmpDir } from '../helpers/tmp.js';
import { Counting, GatedAgent, PERIOD, launchFixture, until } from './fixture.js';

test.before(() => setLogLevel('warn'));

async function call(url: string, method = 'GET', init: RequestInit = {}) {
  const res = await fetch(url, { method, ...init });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, headers: res.headers };
}

/** Shuts a system down and waits for it (teardown of a failed test must not leave it running). */
async function stop(run: ReturnType<typeof launchFixture>['run']): Promise<void> {
  run.system.shutdown();
  await run.catch(() => undefined);
}

async function started(run: ReturnType<typeof launchFixture>['run']): Promise<string> {
  await until('the web API', () => run.system.webApiUrl !== undefined);
  return run.system.webApiUrl!;
}

test.serial('PAMIQ-Core endpoints: status, pause, resume, save-state with the original bodies and codes', async (t) => {
  const dir = tmpDir(t, 'pamiq-api-');
  const { run, agent } = launchFixture(dir);
  t.teardown(() => stop(run));
  const base = await started(run);
  t.regex(base, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.not(base, 'http://127.0.0.1:8391');

  t.deepEqual(await call(`${base}/api/status`).then((r) => [r.status, r.body]), [200, { status: 1, name: 'active' }]);

  const pause = await call(`${base}/api/pause`, 'POST');
  t.deepEqual([pause.status, pause.body], [200, { result: 'ok' }]);
  await until('paused', async () => (await call(`${base}/api/status`)).body.status === 3);
  t.is((await call(`${base}/api/status`)).body.name, 'paused');
  t.true(run.system.paused);
  const stepsWhilePaused = agent.steps;
  await new Promise((r) => setTimeout(r, 50));
  t.is(agent.steps, stepsWhilePaused, 'no steps while paused through the API');

  t.deepEqual((await call(`${base}/api/resume`, 'POST')).body, { result: 'ok' });
  await until('active again', async () => (await call(`${base}/api/status`)).body.status === 1);
  await until('steps again', () => agent.steps > stepsWhilePaused);

  // save-state without wait: queued (200 ok), and a state appears.
  t.deepEqual((await call(`${base}/api/save-state`, 'POST')).body, { result: 'ok' });
  await until('a state listed', async () => (await call(`${base}/api/states`)).body.states.length >= 1);

  // save-state?wait=1: the committed path, which is a valid state.
  const waited = await call(`${base}/api/save-state?wait=1`, 'POST');
  t.is(waited.status, 200);
  t.is(waited.body.result, 'ok');
  t.true(existsSync(waited.body.path), waited.body.path);
  const states = (await call(`${base}/api/states`)).body;
  const listed = states.states.find((s: { path: string }) => s.path === waited.body.path);
  t.truthy(listed);
  t.true(listed.valid);
  t.true(listed.size > 0);
  t.regex(listed.created, /^\d{4}-\d\d-\d\dT/);

  // pause?wait=1 answers once paused.
  t.deepEqual((await call(`${base}/api/pause?wait=1`, 'POST')).body, { result: 'ok' });
  t.true(run.system.paused);
  t.deepEqual((await call(`${base}/api/resume?wait=true`, 'POST')).body, { result: 'ok' });
  t.false(run.system.paused);

  run.system.shutdown();
  await run;
});

test.serial(
  'errors: 404 unknown path, 405 wrong method, 400 bad JSON and bad query, 413 oversized body, never a crash',
  async (t) => {
    const dir = tmpDir(t, 'pamiq-api-');
    const { run, agent } = launchFixture(dir);
    t.teardown(() => stop(run));
    const base = await started(run);

    for (const path of ['/api/nothing', '/', '/api', '/api/status/extra']) {
      const r = await call(`${base}${path}`);
      t.deepEqual([r.status, r.body], [404, { error: 'Invalid API endpoint' }], path);
    }
    t.deepEqual((await call(`${base}/api/nothing`, 'POST')).body, { error: 'Invalid API endpoint' });
    for (const [path, method] of [
      ['/api/status', 'POST'],
      ['/api/status', 'DELETE'],
      ['/api/pause', 'GET'],
      ['/api/resume', 'PUT'],
      ['/api/shutdown', 'GET'],
      ['/api/save-state', 'PATCH'],
      ['/api/info', 'POST'],
      ['/metrics', 'POST'],
    ] as const) {
      const r = await call(`${base}${path}`, method);
      t.deepEqual([r.status, r.body], [405, { error: 'Invalid API method' }], `${method} ${path}`);
    }
    const badJson = await call(`${base}/api/pause`, 'POST', {
      headers: { 'content-type': 'application/json' },
      body: '{"oops',
    });
    t.is(badJson.status, 400);
    t.is(typeof badJson.body.error, 'string');
    const badQuery = await call(`${base}/api/save-state?wait=maybe`, 'POST');
    t.is(badQuery.status, 400);
    t.regex(badQuery.body.error, /wait/);
    // Unknown query parameters are ignored, like bodies.
    t.is((await call(`${base}/api/resume?force=1`, 'POST')).status, 200);
    const big = await call(`${base}/api/resume`, 'POST', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(64 * 1024) }),
    });
    t.is(big.status, 413);
    t.is(typeof big.body.error, 'string');
    const media = await call(`${base}/api/resume`, 'POST', {
      headers: { 'content-type': 'application/xml' },
      body: '<x/>',
    });
    t.is(media.status, 415);

    // A valid JSON body is accepted and ignored, as in the original.
    t.deepEqual(
      (await call(`${base}/api/resume`, 'POST', { headers: { 'content-type': 'application/json' }, body: '{"a":1}' }))
        .body,
      {
        result: 'ok',
      },
    );
    // Still running and answering.
    const before = agent.steps;
    await until('steps go on', () => agent.steps > before);
    t.is((await call(`${base}/api/status`)).body.status, 1);
    run.system.shutdown();
    await run;
  },
);

test.serial('a full command queue answers 503 with the original body; commands run in order', async (t) => {
  const dir = tmpDir(t, 'pamiq-api-');
  const { run, agent } = launchFixture(dir, { timeoutForAllThreadsPause: 30 });
  t.teardown(() => {
    agent.release();
    return stop(run);
  });
  const base = await started(run);
  await until('a few steps', () => agent.steps > 3);

  await agent.hold(); // the next inference step waits: a pause cannot complete
  t.is((await call(`${base}/api/pause`, 'POST')).status, 200);
  await until('pausing', async () => (await call(`${base}/api/status`)).body.status === 2);
  t.is((await call(`${base}/api/status`)).body.name, 'pausing');
  // The pause is being carried out (out of the queue); one more fits (queue size 1), then it is full.
  t.deepEqual(await call(`${base}/api/save-state`, 'POST').then((r) => [r.status, r.body]), [200, { result: 'ok' }]);
  const full = await call(`${base}/api/resume`, 'POST');
  t.deepEqual([full.status, full.body], [503, { error: 'Command queue is full, try again later' }]);
  const info = (await call(`${base}/api/info`)).body;
  t.deepEqual(info.commandQueue, { size: 1, capacity: 1, inProgress: 'pause' });

  agent.release();
  await until('paused', async () => (await call(`${base}/api/status`)).body.status === 3);
  // The queued save runs after the pause (while paused); then resume.
  await until('the save', async () => (await call(`${base}/api/info`)).body.saves.count >= 1);
  t.deepEqual((await call(`${base}/api/resume?wait=1`, 'POST')).body, { result: 'ok' });
  t.is((await call(`${base}/api/status`)).body.status, 1);
  run.system.shutdown();
  await run;
});

test.serial('a larger webApiCommandQueueSize holds more commands', async (t) => {
  const dir = tmpDir(t, 'pamiq-api-');
  const { run, agent } = launchFixture(dir, { webApiCommandQueueSize: 3 });
  t.teardown(() => {
    agent.release();
    return stop(run);
  });
  const base = await started(run);
  await until('a step', () => agent.steps > 0);
  await agent.hold();
  t.is((await call(`${base}/api/pause`, 'POST')).status, 200);
  await until('pausing', async () => (await call(`${base}/api/status`)).body.status === 2);
  const codes = [];
  for (let i = 0; i < 4; i++) codes.push((await call(`${base}/api/save-state`, 'POST')).status);
  t.deepEqual(codes, [200, 200, 200, 503]);
  agent.release();
  run.system.shutdown();
  await run;
});

test.serial(
  'shutdown through the API ends in a final save; later commands get 503 until the server closes',
  async (t) => {
    const dir = tmpDir(t, 'pamiq-api-');
    const { run, agent } = launchFixture(dir);
    const base = await started(run);
    await until('steps', () => agent.steps > 5);
    // A waiting save made just before shutdown is served (by a save of its own or the final one).
    const save = call(`${base}/api/save-state?wait=1`, 'POST');
    t.deepEqual((await call(`${base}/api/shutdown?wait=1`, 'POST')).body, { result: 'ok' });
    const late = await call(`${base}/api/pause`, 'POST').catch((err: Error) => ({ status: 0, body: err.message }));
    // Either still serving (shutting down: 503) or already closed (connection refused).
    if (late.status !== 0) t.deepEqual([late.status, late.body], [503, { error: 'The system is shutting down' }]);
    const result = await run;
    t.is(result.reason, 'request');
    t.truthy(result.finalStatePath);
    t.true(existsSync(result.finalStatePath!));
    const saved = await save;
    t.is(saved.status, 200);
    t.true(existsSync(saved.body.path) || saved.body.path === result.finalStatePath);
    // The server is closed after the final save.
    await t.throwsAsync(fetch(`${base}/api/status`));
  },
);

test.serial('status reads shutting down (5) while the final save runs', async (t) => {
  const dir = tmpDir(t, 'pamiq-api-');
  const { run, agent } = launchFixture(dir);
  const base = await started(run);
  await until('steps', () => agent.steps > 2);
  await agent.hold(); // the loop cannot stop before release: shutdown stays in progress
  t.is((await call(`${base}/api/shutdown`, 'POST')).status, 200);
  await until('shutting down', async () => (await call(`${base}/api/status`)).body.status === 5);
  t.is((await call(`${base}/api/status`)).body.name, 'shutting down');
  agent.release();
  const result = await run;
  t.truthy(result.finalStatePath);
});

test.serial('a bearer token guards every endpoint when set', async (t) => {
  const dir = tmpDir(t, 'pamiq-api-');
  const { run } = launchFixture(dir, { webApiToken: 's3cret-token' });
  t.teardown(() => stop(run));
  const base = await started(run);
  for (const [path, method] of [
    ['/api/status', 'GET'],
    ['/api/pause', 'POST'],
    ['/api/info', 'GET'],
    ['/metrics', 'GET'],
    ['/api/nothing', 'GET'],
  ] as const) {
    const none = await call(`${base}${path}`, method);
    t.deepEqual([none.status, none.body], [401, { error: 'Missing or invalid bearer token' }], path);
    t.is(none.headers.get('www-authenticate'), 'Bearer');
    const wrong = await call(`${base}${path}`, method, { headers: { authorization: 'Bearer nope' } });
    t.is(wrong.status, 401);
  }
  const ok = await call(`${base}/api/status`, 'GET', { headers: { authorization: 'Bearer s3cret-token' } });
  t.deepEqual(ok.body, { status: 1, name: 'active' });
  run.system.shutdown();
  await run;
});

test.serial('a non-loopback address needs a token (config error before anything starts)', (t) => {
  const saved = { token: process.env.PAMIQ_API_TOKEN, address: process.env.PAMIQ_WEB_API_ADDRESS };
  delete process.env.PAMIQ_API_TOKEN;
  delete process.env.PAMIQ_WEB_API_ADDRESS;
  t.teardown(() => {
    if (saved.token !== undefined) process.env.PAMIQ_API_TOKEN = saved.token;
    else delete process.env.PAMIQ_API_TOKEN;
    if (saved.address !== undefined) process.env.PAMIQ_WEB_API_ADDRESS = saved.address;
  });
  const err = t.throws(() => resolveLaunchConfig({ webApiAddress: '0.0.0.0:8391' }), { instanceOf: LaunchConfigError });
  t.regex(err!.message, /not a loopback address: set webApiToken \(or PAMIQ_API_TOKEN\)/);
  t.notThrows(() => resolveLaunchConfig({ webApiAddress: '0.0.0.0:8391', webApiToken: 't' }));
  t.notThrows(() => resolveLaunchConfig({ webApiAddress: { host: '::1', port: 0 } }));
  process.env.PAMIQ_API_TOKEN = 'from-env';
  t.is(resolveLaunchConfig({ webApiAddress: '10.0.0.1:80' }).webApiToken, 'from-env');
  t.deepEqual(resolveLaunchConfig({}).webApiAddress, { host: 'localhost', port: 8391 });
  t.is(resolveLaunchConfig({ webApiAddress: null }).webApiAddress, null);
  process.env.PAMIQ_WEB_API_ADDRESS = 'off';
  t.is(resolveLaunchConfig({}).webApiAddress, null);
  process.env.PAMIQ_WEB_API_ADDRESS = '127.0.0.1:9999';
  t.deepEqual(resolveLaunchConfig({}).webApiAddress, { host: '127.0.0.1', port: 9999 });
  t.deepEqual(resolveLaunchConfig({ webApiAddress: '[::1]:0' }).webApiAddress, { host: '::1', port: 0 });
  const bad = t.throws(() => resolveLaunchConfig({ webApiAddress: 'nohost', webApiCommandQueueSize: 0 }), {
    instanceOf: LaunchConfigError,
  });
  t.regex(bad!.message, /host:port/);
  t.regex(bad!.message, /webApiCommandQueueSize must be an integer ≥ 1/);
  t.throws(() => resolveLaunchConfig({ webApiAddress: 'localhost:70000' }), { message: /0\.\.65535/ });
});

test.serial('a taken address is logged and the system runs on without the API; null disables it', async (t) => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const dir = tmpDir(t, 'pamiq-api-');
  setLogLevel('info');
  const logs = captureLogs();
  t.teardown(() => {
    logs.stop();
    setLogLevel('warn');
  });
  const { run, agent } = launchFixture(dir, { webApiAddress: `127.0.0.1:${port}`, maxUptime: 0.3 });
  const result = await run;
  t.true(agent.steps > 0);
  t.truthy(result.finalStatePath);
  t.is(run.system.webApiUrl, undefined);
  t.regex(logs.text(), new RegExp(`could not listen on 127\\.0\\.0\\.1:${port}: the address is in use`));

  const off = launchFixture(tmpDir(t, 'pamiq-api-'), { webApiAddress: null, maxUptime: 0.2 });
  await off.run;
  t.is(off.run.system.webApiUrl, undefined);
});

test.serial(
  'a launch without webApiAddress serves the default localhost:8391 (or logs that it is taken)',
  async (t) => {
    const dir = tmpDir(t, 'pamiq-api-');
    const saved = process.env.PAMIQ_WEB_API_ADDRESS;
    delete process.env.PAMIQ_WEB_API_ADDRESS;
    t.teardown(() => {
      if (saved !== undefined) process.env.PAMIQ_WEB_API_ADDRESS = saved;
    });
    const logs = captureLogs();
    setLogLevel('info');
    t.teardown(() => {
      logs.stop();
      setLogLevel('warn');
    });
    const run = launch({
      interaction: FixedIntervalInteraction.withSleepAdjustor(new GatedAgent(), new Counting(), PERIOD),
      buffers: { numbers: new SequentialBuffer<number>(10) },
      config: { statesDir: dir, handleSignals: false, maxUptime: 0.3 },
    });
    await run;
    t.regex(
      logs.text(),
      /Web API listening on http:\/\/localhost:8391|could not listen on localhost:8391: the address is in use/,
    );
  },
);
