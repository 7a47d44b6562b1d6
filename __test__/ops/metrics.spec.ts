/**
 * `/metrics` parsed by a Prometheus text-format parser, and `/api/info`, against a real system: steps,
 * period and period-error histograms, training runs, saves with phases and bytes, keeper removals,
 * buffer sizes, status.
 */
import test from 'ava';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { setLogLevel } from '../../src/log.js';
import { tmpDir } from '../helpers/tmp.js';
import { PERIOD, launchFixture, until } from './fixture.js';

test.before(() => setLogLevel('warn'));

interface Family {
  name: string;
  type: string;
  metrics: {
    labels?: Record<string, string>;
    value?: string;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }[];
}

async function scrape(base: string): Promise<{ contentType: string | null; families: Map<string, Family> }> {
  const res = await fetch(`${base}/metrics`);
  const text = await res.text();
  const families = new Map((parsePrometheusTextFormat(text) as Family[]).map((f) => [f.name, f]));
  return { contentType: res.headers.get('content-type'), families };
}

function sample(families: Map<string, Family>, name: string, labels: Record<string, string> = {}) {
  const fam = families.get(name);
  if (!fam) throw new Error(`metric ${name} missing`);
  const m = fam.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  if (!m) throw new Error(`metric ${name}${JSON.stringify(labels)} missing`);
  return m;
}

/**
 * A histogram with a single label set. (This parser folds the series of a labelled histogram into one
 * and drops their labels, `_sum` and `_count`; the Python compatibility spec checks labelled
 * histograms with prometheus_client's parser.)
 */
function singleHistogram(families: Map<string, Family>, name: string) {
  const fam = families.get(name);
  if (fam?.type !== 'HISTOGRAM' || fam.metrics.length !== 1) throw new Error(`histogram ${name} missing`);
  return fam.metrics[0]!;
}

test.serial('metrics in the Prometheus text format cover loops, training, saves, keeper and buffers', async (t) => {
  const dir = tmpDir(t, 'pamiq-metrics-');
  const { run, agent, trainer } = launchFixture(dir); // keeper keeps 2
  t.teardown(async () => {
    run.system.shutdown();
    await run.catch(() => undefined);
  });
  await until('the web API', () => run.system.webApiUrl !== undefined);
  const base = run.system.webApiUrl!;
  await until('steps and training', () => agent.steps > 20 && trainer.trained > 3);

  const paths: string[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await fetch(`${base}/api/save-state?wait=1`, { method: 'POST' });
    t.is(r.status, 200);
    paths.push(((await r.json()) as { path: string }).path);
  }
  await until(
    'keeper removals counted',
    async () => Number(sample((await scrape(base)).families, 'pamiq_keeper_removals_total').value) >= 2,
  );

  const { contentType, families } = await scrape(base);
  t.regex(contentType ?? '', /^text\/plain; version=0\.0\.4/);
  const types = Object.fromEntries([...families].map(([n, f]) => [n, f.type]));
  t.like(types, {
    pamiq_loop_steps_total: 'COUNTER',
    pamiq_loop_period_seconds: 'HISTOGRAM',
    pamiq_loop_period_error_seconds: 'HISTOGRAM',
    pamiq_loop_step_rate: 'GAUGE',
    pamiq_training_runs_total: 'COUNTER',
    pamiq_training_duration_seconds: 'HISTOGRAM',
    pamiq_saves_total: 'COUNTER',
    pamiq_save_failures_total: 'COUNTER',
    pamiq_save_phase_seconds: 'HISTOGRAM',
    pamiq_save_bytes: 'GAUGE',
    pamiq_saved_bytes_total: 'COUNTER',
    pamiq_keeper_removals_total: 'COUNTER',
    pamiq_buffer_size: 'GAUGE',
    pamiq_status: 'GAUGE',
    pamiq_uptime_seconds: 'GAUGE',
    pamiq_time_scale: 'GAUGE',
  });
  // Process metrics from prom-client come along.
  t.true(families.has('process_cpu_seconds_total'));

  const steps = Number(sample(families, 'pamiq_loop_steps_total', { loop: 'inference' }).value);
  t.true(steps >= 20, `steps ${steps}`);
  const period = singleHistogram(families, 'pamiq_loop_period_seconds');
  t.is(Number(period.buckets!['+Inf']), steps - 1);
  // Most periods are at least the target (a step around a save's pause may measure shorter: pamiq time stops).
  t.true(Number(period.buckets!['0.002']) < (steps - 1) / 2, `periods below 2 ms with a ${PERIOD} s target`);
  const error = singleHistogram(families, 'pamiq_loop_period_error_seconds');
  t.is(Number(error.buckets!['+Inf']), steps - 1);
  const le = Object.keys(error.buckets!);
  t.true(le.includes('-0.001') && le.includes('0') && le.includes('0.001'), 'signed error buckets');
  t.true(Number(sample(families, 'pamiq_loop_step_rate', { loop: 'inference' }).value) > 0);

  const runs = Number(sample(families, 'pamiq_training_runs_total', { trainer: 'counting' }).value);
  t.true(runs >= 3);
  t.is(Number(singleHistogram(families, 'pamiq_training_duration_seconds').buckets!['+Inf']), runs);

  t.true(Number(sample(families, 'pamiq_saves_total').value) >= 4);
  t.is(Number(sample(families, 'pamiq_save_failures_total').value), 0);
  t.is(families.get('pamiq_save_phase_seconds')?.type, 'HISTOGRAM');
  const bytes = Number(sample(families, 'pamiq_save_bytes').value);
  t.true(bytes > 0);
  t.true(Number(sample(families, 'pamiq_saved_bytes_total').value) >= 4 * Math.min(bytes, 1));
  t.true(Number(sample(families, 'pamiq_keeper_removals_total').value) >= 2);
  t.true(Number(sample(families, 'pamiq_buffer_size', { buffer: 'numbers' }).value) > 0);
  t.is(Number(sample(families, 'pamiq_status').value), 1);
  t.is(Number(sample(families, 'pamiq_time_scale').value), 1);
  t.true(Number(sample(families, 'pamiq_uptime_seconds').value) > 0);

  // /api/info agrees, and the last save's bytes are the committed state's size.
  const info = (await (await fetch(`${base}/api/info`)).json()) as any;
  t.is(info.statusName, 'active');
  t.is(typeof info.version, 'string');
  t.true(['native', 'ts'].includes(info.backend));
  t.is(info.timeScale, 1);
  t.true(info.pamiqTime > 0);
  const inference = info.threads.find((x: { name: string }) => x.name === 'inference');
  t.true(inference.steps >= steps);
  t.is(inference.targetPeriod, PERIOD);
  t.true(inference.period.count > 0 && inference.periodError.count > 0 && inference.stepRate > 0);
  t.true(info.trainers[0].runs >= runs && info.trainers[0].name === 'counting');
  t.true(info.saves.count >= 4);
  t.is(info.saves.last.ok, true);
  t.is(info.saves.last.path, paths[3]);
  t.deepEqual(Object.keys(info.saves.last.phases).sort(), ['capture', 'commit', 'pause']);
  const states = (await (await fetch(`${base}/api/states`)).json()) as { states: { path: string; size: number }[] };
  t.is(states.states.find((s) => s.path === paths[3])!.size, info.saves.last.bytes);
  t.is(states.states.length, 2, 'the keeper kept 2');
  t.true(info.keeperRemovals >= 2);
  t.is(info.saves.inFlight, null);

  run.system.shutdown();
  const result = await run;
  t.truthy(result.finalStatePath);
});
