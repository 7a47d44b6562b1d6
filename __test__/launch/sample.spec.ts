import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpDir } from '../helpers/tmp.js';

const sample = fileURLToPath(new URL('../../samples/drift/main.ts', import.meta.url));
const env = { ...process.env, PAMIQ_LOG_LEVEL: 'warn' };

function runSample(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import=tsx', sample, ...args], { encoding: 'utf8', env, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`sample failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  const done = r.stdout.match(/done \((\w+)\): (\d+) steps, loss ([\d.]+), (\d+) states saved/);
  if (!done) throw new Error(`no summary line in:\n${r.stdout}`);
  return { reason: done[1], steps: Number(done[2]), loss: Number(done[3]), saves: Number(done[4]), stdout: r.stdout };
}

test('the drift sample learns, saves, and continues from the latest state', (t) => {
  const states = join(tmpDir(t), 'states');
  const first = runSample('--seconds', '2', '--states-dir', states, '--save-every', '0.5');
  t.is(first.reason, 'maxUptime');
  t.true(first.steps > 30, `${first.steps} steps`);
  t.true(first.saves >= 2, `${first.saves} saves`);
  t.true(first.loss < 1, `loss ${first.loss}`);
  const second = runSample('--seconds', '1', '--states-dir', states, '--resume', 'latest');
  t.regex(second.stdout, /resumed from .*\.state/);
  t.true(second.steps > first.steps, `step count continued: ${first.steps} → ${second.steps}`);
  t.true(readdirSync(states).filter((n) => n.endsWith('.state')).length <= 5, 'the keeper keeps 5');
  t.regex(first.stdout, /training on the worker thread/);
});

test('the drift sample in main threading mode resumes a state saved in worker mode', (t) => {
  const states = join(tmpDir(t), 'states');
  const first = runSample('--seconds', '1.5', '--states-dir', states, '--save-every', '0.5');
  const second = runSample('--seconds', '1', '--states-dir', states, '--resume', 'latest', '--threading', 'main');
  t.regex(second.stdout, /training on the main thread/);
  t.regex(second.stdout, /resumed from .*\.state/);
  t.true(second.steps > first.steps, `step count continued: ${first.steps} → ${second.steps}`);
});

test('SIGINT shuts the sample down gracefully with a final save', async (t) => {
  const states = join(tmpDir(t), 'states');
  const child = spawn(process.execPath, ['--import=tsx', sample, '--seconds', '60', '--states-dir', states], { env });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (out.includes('step ')) {
        clearInterval(check);
        resolve();
      }
    }, 50);
  });
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.is(code, 0);
  t.regex(out, /done \(signal\): \d+ steps/);
  t.is(readdirSync(states).filter((n) => n.endsWith('.state')).length, 1, 'the final save');
});
