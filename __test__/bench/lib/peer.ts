/**
 * PAMIQ-Core (the Python original) as a peer of the benchmark: finds a Python ≥ 3.12, creates (once)
 * a venv in `.bench-cache/pamiq-core-venv` inside the project with `pamiq-core` and numpy from PyPI,
 * and runs __test__/bench/peer/pamiq_core_peer.py there. When any of it is impossible, says why.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RESULT_MARK, type ChildResult } from './common.js';
import { BENCH_DIR, REPO_ROOT } from './child.js';

export const PEER_PACKAGE = 'pamiq-core==0.6.0';
const VENV = join(REPO_ROOT, '.bench-cache', 'pamiq-core-venv');
const VENV_PYTHON = join(VENV, process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');

/** The version of `python` as [major, minor], or undefined when it does not run. */
function pythonVersion(python: string): [number, number] | undefined {
  try {
    const out = execFileSync(python, ['-c', 'import sys; print(sys.version_info[0], sys.version_info[1])'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 20_000,
    });
    const [major, minor] = out.trim().split(' ').map(Number);
    return major !== undefined && minor !== undefined ? [major, minor] : undefined;
  } catch {
    return undefined;
  }
}

/** Python interpreters to try: $PAMIQ_BENCH_PYTHON, python3.13/3.12/python3 on PATH, pyenv's versions. */
function candidates(): string[] {
  const out: string[] = [];
  if (process.env.PAMIQ_BENCH_PYTHON) out.push(process.env.PAMIQ_BENCH_PYTHON);
  out.push('python3.13', 'python3.12', 'python3');
  const pyenv = join(process.env.PYENV_ROOT ?? join(homedir(), '.pyenv'), 'versions');
  if (existsSync(pyenv)) {
    for (const v of readdirSync(pyenv).sort().reverse()) out.push(join(pyenv, v, 'bin', 'python3'));
  }
  return out;
}

/** The venv's python, creating the venv first when needed; or the reason there is none. */
export function peerPython(log: (line: string) => void): { python: string } | { unavailable: string } {
  if (existsSync(VENV_PYTHON) && pythonVersion(VENV_PYTHON)) {
    try {
      execFileSync(VENV_PYTHON, ['-c', 'import pamiq_core, numpy'], { stdio: 'ignore', timeout: 60_000 });
      return { python: VENV_PYTHON };
    } catch {
      // an unfinished venv: install again below
    }
  }
  const found = candidates().find((p) => {
    const v = pythonVersion(p);
    return v !== undefined && (v[0] > 3 || (v[0] === 3 && v[1] >= 12));
  });
  if (!found) return { unavailable: 'no Python ≥ 3.12 found (pamiq-core 0.6.0 needs it; set PAMIQ_BENCH_PYTHON)' };
  try {
    if (!existsSync(VENV_PYTHON)) {
      log(`peer: creating ${VENV} with ${found}`);
      execFileSync(found, ['-m', 'venv', VENV], { stdio: 'ignore', timeout: 300_000 });
    }
    log(`peer: pip install ${PEER_PACKAGE} numpy`);
    execFileSync(VENV_PYTHON, ['-m', 'pip', 'install', '-q', PEER_PACKAGE, 'numpy'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 900_000,
    });
    return { python: VENV_PYTHON };
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n').slice(0, 3).join(' ') : String(err);
    return { unavailable: `could not set up ${PEER_PACKAGE} in ${VENV}: ${msg}` };
  }
}

/** Runs the peer script with `args`; resolves with its result line. */
export function runPeer(python: string, args: string[]): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [join(BENCH_DIR, 'peer', 'pamiq_core_peer.py'), ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_MARK));
      if (code !== 0 || !line) {
        reject(new Error(`pamiq-core peer exited with ${code}:\n${err.trim().split('\n').slice(-10).join('\n')}`));
        return;
      }
      resolve(JSON.parse(line.slice(RESULT_MARK.length)) as ChildResult);
    });
  });
}
