import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpDir } from '../helpers/tmp.js';

const sample = fileURLToPath(new URL('../../samples/drift/main.ts', import.meta.url));
const env = { ...process.env, PAMIQ_LOG_LEVEL: 'warn' };

type Summary = { reason: string; steps: number; loss: number; saves: number; stdout: string };

function summary(stdout: string): Summary {
  const done = stdout.match(/done \((\w+)\): (\d+) steps, loss ([\d.]+), (\d+) states saved/);
  if (!done) throw new Error(`no summary line in:\n${stdout}`);
  return { reason: done[1]!, steps: Number(done[2]), loss: Number(done[3]), saves: Number(done[4]), stdout };
}

function runSample(...args: string[]): Summary {
  const r = spawnSync(process.execPath, ['--import=tsx', sample, ...args], { encoding: 'utf8', env, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`sample failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return summary(r.stdout);
}

/**
 * Runs the sample until its progress line (printed every 2 s) shows `enough`, then stops it with
 * SIGINT: what the spec checks does not depend on how fast the machine runs it. Fails when the
 * sample ends first, or shows no such progress within `limitMs` (a hang detector).
 */
async function runSampleUntil(
  enough: (p: { steps: number; loss: number; saves: number }) => boolean,
  args: string[],
  limitMs = 150_000,
): Promise<Summary> {
  const child = spawn(process.execPath, ['--import=tsx', sample, '--seconds', '100000', ...args], { env });
  let out = '';
  let err = '';
  let stopped = false;
  child.stderr.on('data', (d) => (err += d));
  child.stdout.on('data', (d) => {
    out += d;
    if (stopped) return;
    for (const m of out.matchAll(/step (\d+)\s+loss ([\d.]+)\s+saves (\d+)/g)) {
      if (enough({ steps: Number(m[1]), loss: Number(m[2]), saves: Number(m[3]) })) {
        stopped = true;
        child.kill('SIGINT');
        return;
      }
    }
  });
  const limit = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(limit);
  if (!stopped) throw new Error(`the sample never showed the expected progress (exit ${code}):\n${out}\n${err}`);
  if (code !== 0) throw new Error(`sample failed (${code}):\n${out}\n${err}`);
  return summary(out);
}

test('the drift sample learns, saves, and continues from the latest state', async (t) => {
  const states = join(tmpDir(t), 'states');
  const first = await runSampleUntil(
    (p) => p.steps > 30 && p.saves >= 2 && p.loss < 1,
    ['--states-dir', states, '--save-every', '0.5'],
  );
  t.is(first.reason, 'signal');
  t.true(first.steps > 30, `${first.steps} steps`);
  t.true(first.saves >= 3, `${first.saves} saves: two periodic ones and the final one`);
  t.true(first.loss < 1, `loss ${first.loss}`);
  const second = runSample('--seconds', '1', '--states-dir', states, '--resume', 'latest');
  t.regex(second.stdout, /resumed from .*\.state/);
  t.true(second.steps > first.steps, `step count continued: ${first.steps} → ${second.steps}`);
  t.true(readdirSync(states).filter((n) => n.endsWith('.state')).length <= 5, 'the keeper keeps 5');
  t.regex(first.stdout, /training on the worker thread/);
});

test('the drift sample in main threading mode resumes a state saved in worker mode', async (t) => {
  const states = join(tmpDir(t), 'states');
  const first = await runSampleUntil(
    (p) => p.steps > 0 && p.saves >= 1,
    ['--states-dir', states, '--save-every', '0.5'],
  );
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
