/**
 * Compatibility with PAMIQ-Core's Python client: its real `WebApiClient` (pamiq-core from PyPI, in a
 * venv cached under .cache/) drives our server unchanged, and prometheus_client's reference parser
 * reads our /metrics. Skipped, with the reason in the title, when no Python ≥ 3.12 or no PyPI.
 */
import test from 'ava';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { setLogLevel } from '../../src/log.js';
import { tmpDir } from '../helpers/tmp.js';
import { launchFixture, until } from './fixture.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const venv = join(root, '.cache', 'python-compat');
const venvPython = join(venv, 'bin', 'python');
const PACKAGES = ['pamiq-core==0.6.0', 'prometheus-client>=0.20'];

/** A Python ≥ 3.12 (pamiq-core's requirement): PAMIQ_PYTHON, python3.13/3.12/python3 on PATH, or pyenv's. */
function findPython(): string | undefined {
  const pyenv = join(homedir(), '.pyenv', 'versions');
  const candidates = [
    process.env.PAMIQ_PYTHON,
    'python3.13',
    'python3.12',
    'python3',
    ...(existsSync(pyenv)
      ? readdirSync(pyenv)
          .filter((v) => /^3\.(1[2-9])/.test(v))
          .map((v) => join(pyenv, v, 'bin', 'python3'))
      : []),
  ].filter((c): c is string => !!c);
  for (const c of candidates) {
    const r = spawnSync(c, ['-c', 'import sys; print(sys.version_info >= (3, 12))'], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim() === 'True') return c;
  }
  return undefined;
}

/** Creates (once) the cached venv with pamiq-core; returns the reason when that is not possible. */
function prepare(): string | undefined {
  const ready = () =>
    spawnSync(venvPython, ['-c', 'import pamiq_core.console.web_api, prometheus_client'], { encoding: 'utf8' })
      .status === 0;
  if (existsSync(venvPython) && ready()) return undefined;
  const python = findPython();
  if (!python) return 'no Python >= 3.12 found (pamiq-core needs it; set PAMIQ_PYTHON)';
  const mk = spawnSync(python, ['-m', 'venv', venv], { encoding: 'utf8' });
  if (mk.status !== 0) return `python -m venv failed: ${mk.stderr.trim().split('\n').pop()}`;
  const pip = spawnSync(venvPython, ['-m', 'pip', 'install', '-q', ...PACKAGES], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (pip.status !== 0)
    return `pip install ${PACKAGES.join(' ')} failed (PyPI not reachable?): ${(pip.stderr || String(pip.error)).trim().split('\n').pop()}`;
  return ready() ? undefined : 'pamiq-core installed but not importable';
}

const unavailable = prepare();
test.before(() => setLogLevel('warn'));

if (unavailable) {
  test.skip(`PAMIQ-Core's Python WebApiClient drives our server — skipped: ${unavailable}`, () => {});
} else {
  test.serial(
    "PAMIQ-Core's Python WebApiClient drives our server unchanged; prometheus_client parses /metrics",
    async (t) => {
      const dir = tmpDir(t, 'pamiq-pyclient-');
      const { run, agent } = launchFixture(dir);
      t.teardown(async () => {
        run.system.shutdown();
        await run.catch(() => undefined);
      });
      await until('the web API', () => run.system.webApiUrl !== undefined);
      await until('steps', () => agent.steps > 10);
      const port = new URL(run.system.webApiUrl!).port;
      // Async: the server runs in this process and must keep answering.
      const { stdout } = await promisify(execFile)(venvPython, [join(here, 'python', 'drive.py'), '127.0.0.1', port], {
        timeout: 120_000,
      });
      const seen = JSON.parse(stdout);
      t.like(seen, {
        initial: 'ACTIVE',
        pause: 'ok',
        after_pause: 'PAUSED',
        save_state: 'ok',
        resume: 'ok',
        after_resume: 'ACTIVE',
        offline_elsewhere: 'OFFLINE',
        shutdown: 'ok',
        after_shutdown: 'OFFLINE',
      });
      t.like(seen.metrics.types, {
        pamiq_loop_steps: 'counter',
        pamiq_loop_period_seconds: 'histogram',
        pamiq_loop_period_error_seconds: 'histogram',
        pamiq_save_phase_seconds: 'histogram',
        pamiq_training_duration_seconds: 'histogram',
        pamiq_buffer_size: 'gauge',
      });
      for (const phase of ['pause', 'capture', 'commit', 'total']) t.true(seen.metrics.phase_counts[phase] >= 1, phase);
      t.true(seen.metrics.period_count >= 10);
      t.true(seen.metrics.steps >= seen.metrics.period_count);

      const result = await run;
      t.is(result.reason, 'request');
      t.true(result.savedStates.length >= 2, 'the API save and the final save');
      t.truthy(result.finalStatePath);
      t.true(existsSync(result.finalStatePath!));
    },
  );
}
