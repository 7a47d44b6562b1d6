/**
 * Runs one case script in a child process with the backend chosen by PAMIQ_BACKEND (the state engine is
 * fixed at import), and returns the result it printed.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESULT_MARK, type ChildResult } from './common.js';

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = join(BENCH_DIR, '..', '..');

export interface ChildOptions {
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags?: string[];
  /** Called with a progress line when the child ends. */
  log?: (line: string) => void;
  label?: string;
}

export class ChildFailed extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'ChildFailed';
  }
}

/**
 * `node --expose-gc --import tsx __test__/bench/cases/<script>.ts --json …args` with PAMIQ_BACKEND set
 * (none for the engine-free limit scripts). Logs of the child go to its stderr, kept for errors.
 */
export function runCase(
  script: string,
  backend: 'native' | 'ts' | 'limit',
  args: string[],
  opts: ChildOptions = {},
): Promise<ChildResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, PAMIQ_LOG_LEVEL: process.env.PAMIQ_LOG_LEVEL ?? 'warn' };
  if (backend === 'limit') delete env.PAMIQ_BACKEND;
  else env.PAMIQ_BACKEND = backend;
  const argv = [
    '--expose-gc',
    ...(opts.nodeFlags ?? []),
    '--import',
    'tsx',
    join(BENCH_DIR, 'cases', `${script}.ts`),
    '--json',
    ...args,
  ];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const secs = ((performance.now() - started) / 1000).toFixed(1);
      opts.log?.(`  ${opts.label ?? script} [${backend}] ${code === 0 ? 'done' : 'FAILED'} in ${secs} s`);
      const line = out.split('\n').find((l) => l.startsWith(RESULT_MARK));
      if (code !== 0 || !line) {
        const tail = err.trim().split('\n').slice(-15).join('\n');
        reject(
          new ChildFailed(
            `${script} [${backend}] exited with ${signal ?? code}${line ? '' : ', no result'}:\n${tail}`,
            err,
          ),
        );
        return;
      }
      resolve(JSON.parse(line.slice(RESULT_MARK.length)) as ChildResult);
    });
  });
}
