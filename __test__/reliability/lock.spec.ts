/**
 * One writer per states directory: a second process fails at once naming the holder; the lock of a
 * killed process is taken over with a warning.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { CLAIM_PREFIX } from '../../src/state/lock.js';
import { join } from 'node:path';
import { startChild } from './crash.js';
import { tmpDir } from '../helpers/tmp.js';

const claims = (dir: string) => readdirSync(dir).filter((n) => n.startsWith(CLAIM_PREFIX));
const claimPids = (dir: string) =>
  claims(dir).map((n) => (JSON.parse(readFileSync(join(dir, n), 'utf8')) as { pid: number }).pid);

test.serial('a second process launching on the same states directory fails, naming the holder’s pid', async (t) => {
  const dir = tmpDir(t, 'pamiq-lock-');
  const holder = startChild({ statesDir: dir, size: 'small', saveEveryMs: 100 });
  await holder.waitFor('ready');
  const second = startChild({ statesDir: dir, size: 'small', saveEveryMs: 100 });
  const error = (await second.waitFor('error')).data as { name: string; code: string; message: string };
  const { code } = await second.exited;
  t.is(code, 1);
  t.is(error.code, 'ELOCKED');
  t.true(error.message.includes(`process ${holder.pid}`), error.message);
  t.true(error.message.includes(dir), error.message);
  t.false(
    second.lines.some((l) => l.kind === 'ready' || l.kind === 'phase'),
    'the second system never started',
  );

  // The holder was not disturbed and shuts down cleanly, releasing the lock.
  holder.kill('SIGTERM');
  const done = (await holder.waitFor('done')).data as { failed: unknown[]; final: string };
  t.is((await holder.exited).code, 0, holder.stderr());
  t.deepEqual(done.failed, []);
  t.truthy(done.final);
  t.deepEqual(claims(dir), [], 'the holder removed its claim');
});

test.serial('takes over the lock left by a killed process with a warning naming it', async (t) => {
  const dir = tmpDir(t, 'pamiq-lock-');
  const dead = startChild({ statesDir: dir, size: 'small', saveEveryMs: 100 });
  await dead.waitFor('ready');
  dead.kill('SIGKILL');
  await dead.exited;
  t.deepEqual(claimPids(dir), [dead.pid]);

  const next = startChild({ statesDir: dir, size: 'small', savedStatePath: 'latest' });
  await next.waitFor('ready');
  t.regex(next.stderr(), new RegExp(`Taking over the lock of '.*' left by process ${dead.pid}`));
  t.deepEqual(claimPids(dir), [next.pid], 'the dead claim was removed, the new one is the only claim');
  next.kill('SIGTERM');
  await next.waitFor('done');
  t.is((await next.exited).code, 0, next.stderr());
  t.deepEqual(
    readdirSync(dir).filter((n) => n.startsWith('.pamiq')),
    [],
  );
});
