/**
 * A client that sends half a request and then nothing neither holds up the loops nor keeps the
 * system from shutting down: the server closes such connections after the final save.
 */
import test from 'ava';
import { connect } from 'node:net';
import { setLogLevel } from '../../src/log.js';
import { tmpDir } from '../helpers/tmp.js';
import { launchFixture, until } from './fixture.js';

test.before(() => setLogLevel('warn'));

test.serial('a stalled client does not stall the loops or the shutdown', async (t) => {
  const dir = tmpDir(t, 'pamiq-slow-');
  const { run, agent } = launchFixture(dir);
  t.teardown(async () => {
    run.system.shutdown();
    await run.catch(() => undefined);
  });
  await until('the web API', () => run.system.webApiUrl !== undefined);
  const { hostname, port } = new URL(run.system.webApiUrl!);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((r) => socket.once('connect', r));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  // Half a request: headers never finished.
  socket.write('POST /api/pause HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n');

  const before = agent.steps;
  await until('steps while the client stalls', () => agent.steps > before + 20);
  const status = await fetch(`${run.system.webApiUrl}/api/status`).then((r) => r.json());
  t.deepEqual(status, { status: 1, name: 'active' });
  t.false(run.system.paused, 'the half-sent pause was never queued');

  run.system.shutdown();
  const result = await run;
  t.truthy(result.finalStatePath);
  await closed;
  t.true(socket.destroyed);
});
