/**
 * `pamiq console`: the command layer driven directly against a real system (PAMIQ-Core's commands,
 * prompt and messages, OFFLINE behaviour, failures), and one end-to-end run of the real command with
 * piped stdin ending in a shutdown and the final save.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { COMMANDS, ConsoleSession, WELCOME } from '../../src/cli/console.js';
import { setLogLevel } from '../../src/log.js';
import { WebApiClient } from '../../src/ops/client.js';
import { tmpDir } from '../helpers/tmp.js';
import { launchFixture, until } from './fixture.js';

const cli = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..', 'src', 'cli', 'main.ts');

test.before(() => setLogLevel('warn'));

function session(port: number | string, answers: string[] = []) {
  const printed: string[] = [];
  const asked: string[] = [];
  const s = new ConsoleSession(new WebApiClient({ host: '127.0.0.1', port: Number(port) }), {
    print: (line) => printed.push(line),
    ask: async (q) => {
      asked.push(q);
      return answers.shift() ?? '';
    },
  });
  return { s, printed, asked };
}

test.serial('commands, prompt and messages as PAMIQ-Core, against a running system', async (t) => {
  const dir = tmpDir(t, 'pamiq-console-');
  const { run, agent } = launchFixture(dir);
  t.teardown(async () => {
    agent.release();
    run.system.shutdown();
    await run.catch(() => undefined);
  });
  await until('the web API', () => run.system.webApiUrl !== undefined);
  const port = new URL(run.system.webApiUrl!).port;
  const { s, printed, asked } = session(port, ['', 'n', 'yes']);

  await s.fetchStatus();
  t.is(s.prompt(), 'pamiq-console (active) > ');
  t.false(await s.run('help'));
  t.deepEqual(printed.splice(0), [
    [
      'h/help    Show all commands and details.',
      'p/pause   Pause the AMI system.',
      'r/resume  Resume the AMI system.',
      'save      Save a checkpoint.',
      'shutdown  Shutdown the AMI system.',
      'q/quit    Exit the console.',
    ].join('\n'),
  ]);
  t.false(await s.run('h'));
  t.is(printed.splice(0).length, 1);

  t.false(await s.run('p'));
  t.deepEqual(printed.splice(0), ['ok']);
  await until('paused', async () => (await s.fetchStatus()) === 3);
  t.is(s.prompt(), 'pamiq-console (paused) > ');
  t.false(await s.run('save'));
  t.deepEqual(printed.splice(0), ['ok']);
  await until(
    'a state',
    async () =>
      run.system.paused && ((await (await fetch(`${run.system.webApiUrl}/api/info`)).json()) as any).saves.count >= 1,
  );
  t.false(await s.run('r'));
  t.deepEqual(printed.splice(0), ['ok']);
  await until('active', async () => (await s.fetchStatus()) === 1);
  t.false(await s.run('pause'));
  t.false(await s.run('resume'));
  t.deepEqual(printed.splice(0), ['ok', 'ok']);

  t.false(await s.run(''));
  t.false(await s.run('   '));
  t.deepEqual(printed, []);
  t.false(await s.run('bogus'));
  t.deepEqual(printed.splice(0), ['*** Unknown syntax: bogus']);

  // shutdown asks; anything but y/yes cancels.
  t.false(await s.run('shutdown'));
  t.false(await s.run('shutdown'));
  t.deepEqual(asked.splice(0), ['Confirm AMI system shutdown? (y/[N]): ', 'Confirm AMI system shutdown? (y/[N]): ']);
  t.deepEqual(printed.splice(0), ['Shutdown cancelled.', 'Shutdown cancelled.']);
  t.false(run.system.shuttingDown);

  // A refused command prints the failure: the queue is full while a pause waits for a held step.
  await agent.hold();
  t.false(await s.run('p'));
  await until('pausing', async () => (await s.fetchStatus()) === 2);
  t.is(s.prompt(), 'pamiq-console (pausing) > ');
  t.false(await s.run('save'));
  t.false(await s.run('r'));
  t.deepEqual(printed.splice(0), ['ok', 'ok', 'Failed to resume...']);
  agent.release();
  await until('paused', async () => (await s.fetchStatus()) === 3);
  t.false(await s.run('r'));
  printed.splice(0);
  await until('the queue drained and the system active', async () => {
    const info = (await (await fetch(`${run.system.webApiUrl}/api/info`)).json()) as any;
    return info.status === 1 && info.commandQueue.size === 0 && info.commandQueue.inProgress === null;
  });

  // "yes" sends the shutdown and ends the console; the system makes its final save.
  t.true(await s.run('shutdown'));
  t.deepEqual(printed, []);
  const result = await run;
  t.is(result.reason, 'request');
  t.true(existsSync(result.finalStatePath!));
  t.true(await s.run('q'));
  t.true(await s.run('quit'));
  t.is(s.prompt(), 'pamiq-console (offline) > ');
});

test('OFFLINE: system commands are not executed, help and quit still work', async (t) => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  const { s, printed, asked } = session(port, ['y']);
  await s.fetchStatus();
  t.is(s.prompt(), 'pamiq-console (offline) > ');
  for (const c of ['pause', 'p', 'resume', 'r', 'save', 'shutdown']) {
    t.false(await s.run(c));
    t.is(printed.pop(), `Command "${c}" not executed. Can't connect AMI system.`);
  }
  t.deepEqual(asked, [], 'no confirmation asked while offline');
  t.false(await s.run('help'));
  t.is(printed.length, 1);
  t.true(await s.run('q'));
  t.deepEqual([...COMMANDS].sort(), ['h', 'help', 'p', 'pause', 'q', 'quit', 'r', 'resume', 'save', 'shutdown']);
});

test.serial(
  'end to end: `pamiq console` with piped stdin pauses, saves, resumes and shuts the system down',
  async (t) => {
    const dir = tmpDir(t, 'pamiq-console-');
    const { run } = launchFixture(dir);
    t.teardown(async () => {
      run.system.shutdown();
      await run.catch(() => undefined);
    });
    await until('the web API', () => run.system.webApiUrl !== undefined);
    const port = new URL(run.system.webApiUrl!).port;
    const child = spawn(process.execPath, ['--import=tsx', cli, 'console', '--host', '127.0.0.1', '--port', port], {
      env: { ...process.env, PAMIQ_CONSOLE_HISTORY: join(dir, 'history') },
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    t.teardown(() => {
      if (child.exitCode === null) child.kill();
    });
    // One line at a time, each after the prompt it answers, as a person would type.
    const atPrompt = () => /pamiq-console \([a-z ]+\) > $/.test(out);
    // Each command is sent once the previous one was carried out (a busy queue would refuse it).
    const idle = async () => {
      const info = (await (await fetch(`${run.system.webApiUrl}/api/info`)).json()) as any;
      return info.commandQueue.size === 0 && info.commandQueue.inProgress === null && info.saves.inFlight === null;
    };
    for (const line of ['p', 'save', 'r', 'nonsense', 'shutdown']) {
      await until(`the prompt before '${line}'`, atPrompt);
      await until(`the system idle before '${line}'`, idle);
      const seen = out.length;
      child.stdin.write(`${line}\n`);
      await until(`the answer to '${line}'`, () => out.length > seen);
    }
    await until('the confirmation question', () => out.endsWith('Confirm AMI system shutdown? (y/[N]): '));
    child.stdin.write('y\n');
    t.is(await exited, 0, err);
    t.true(out.startsWith(WELCOME));
    t.regex(out, /pamiq-console \(active\) > ok\n/);
    t.regex(out, /pamiq-console \(paused\) > /);
    t.regex(out, /\*\*\* Unknown syntax: nonsense/);
    t.regex(out, /Confirm AMI system shutdown\? \(y\/\[N\]\): $/);
    const result = await run;
    t.is(result.reason, 'request');
    t.true(result.savedStates.length >= 2, 'the console save and the final save');
    t.true(existsSync(result.finalStatePath!));
  },
);
