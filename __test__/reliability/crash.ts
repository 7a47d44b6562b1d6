/**
 * Crash injection, written once for the spec (`crash.spec.ts`, ~30 rounds per backend) and the soak
 * (`soak.ts`, as many rounds as asked).
 *
 * A round starts `child.ts` on a states directory shared by all rounds of a run (frequent saves of a
 * several-MB state, a LatestStatesKeeper with maxKeep 2, `savedStatePath: "latest"`), watches the
 * phases it prints, and SIGKILLs it inside the target phase, in one of two ways:
 *   - `marker`: the child SIGKILLs itself from its phase hook at the start of the target phase, in a
 *     randomly chosen save (its 2nd or 3rd). Lands in the phase however loaded the machine is.
 *   - `timed`: this process SIGKILLs it at a random moment inside the target phase (the delay is drawn
 *     from the durations this child showed for that phase in its earlier saves). Reaches any point of
 *     a phase, but on a loaded machine the kill may land after it: it is tallied where it landed.
 * Then it checks, in this process:
 *   - every `*.state` directory verifies (manifest, sizes, checksums);
 *   - the newest state whose `commit:end` the child printed still exists and verifies;
 *   - latestState() finds a state at least as new, and it loads into a fresh system whose contents are
 *     consistent (agent and environment agree, the frames are the newest ones and contiguous);
 *   - at least one valid state remains.
 * The next round's start checks the rest: the leftovers of the killed save (`.pamiq-tmp-*`,
 * `.pamiq-trash-*`) are gone when setup runs, the dead process's lock is taken over with a warning,
 * and the system it loads is exactly the one this round loaded in-process.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { engine } from '../../src/backend/select.js';
import { rng } from '../helpers/rng.js';
import { latestState } from '../../src/state/scan.js';
import type { ChildConfig } from './child.js';
import { checkSnapshot, loadFresh, type Snapshot } from './fixtures/system.js';

export const PHASES = ['capture', 'write', 'commit', 'remove'] as const;
export type Phase = (typeof PHASES)[number];
/** Where a kill can land: a phase, or between saves. */
export type Landing = Phase | 'between';

const LANDING: Record<string, Landing> = {
  'capture:start': 'capture',
  'capture:end': 'write',
  'write:start': 'write',
  'commit:start': 'commit',
  'commit:end': 'between',
  'remove:start': 'remove',
  'remove:end': 'between',
};
const START_OF: Record<Phase, string> = {
  capture: 'capture:start',
  write: 'write:start',
  commit: 'commit:start',
  remove: 'remove:start',
};

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(HERE, '..', '..');
export const CHILD = join(HERE, 'child.ts');

/** A small seedable PRNG, so a failing run can be repeated (re-exported for the soak and fuzz scripts). */
export { rng };

export interface ChildLine {
  kind: string;
  data: any;
}

export interface RunningChild {
  pid: number;
  lines: ChildLine[];
  stderr: () => string;
  /** Resolves with the exit code and signal once the process closed its pipes. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Called for every line as it arrives. */
  onLine: (fn: (line: ChildLine) => void) => void;
  kill: (signal?: NodeJS.Signals) => void;
  /** Resolves with the first line of `kind` (rejects when the child exits first, or after `timeoutMs`: a hang detector). */
  waitFor: (kind: string, timeoutMs?: number) => Promise<ChildLine>;
}

/** Starts child.ts with `config`; the backend comes from this process's PAMIQ_BACKEND. */
export function startChild(config: ChildConfig, env: Record<string, string | undefined> = {}): RunningChild {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(config)], {
    cwd: ROOT,
    env: { ...process.env, PAMIQ_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: ChildLine[] = [];
  const listeners: ((l: ChildLine) => void)[] = [];
  let err = '';
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const rl = createInterface({ input: proc.stdout });
  rl.on('line', (text) => {
    const space = text.indexOf(' ');
    let line: ChildLine;
    try {
      line = { kind: text.slice(0, space), data: JSON.parse(text.slice(space + 1)) };
    } catch {
      line = { kind: 'text', data: text };
    }
    lines.push(line);
    for (const l of listeners) l(line);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let closed = false;
    const done = () => exit && closed && resolve(exit);
    proc.on('exit', (code, signal) => {
      exit = { code, signal };
      done();
    });
    rl.on('close', () => {
      closed = true;
      done();
    });
  });
  return {
    pid: proc.pid!,
    lines,
    stderr: () => err,
    exited,
    onLine: (fn) => listeners.push(fn),
    kill: (signal = 'SIGKILL') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    },
    waitFor: (kind, timeoutMs = 120_000) =>
      new Promise<ChildLine>((resolve, reject) => {
        const found = lines.find((l) => l.kind === kind);
        if (found) return resolve(found);
        const timer = setTimeout(
          () => reject(new Error(`no '${kind}' line within ${timeoutMs} ms; stderr:\n${err}`)),
          timeoutMs,
        );
        listeners.push((l) => {
          if (l.kind === kind) {
            clearTimeout(timer);
            resolve(l);
          }
        });
        void exited.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(new Error(`child exited (${code ?? signal}) before a '${kind}' line; stderr:\n${err}`));
        });
      }),
  };
}

/** How a round places its kill (see the top of this file). */
export type KillMode = 'marker' | 'timed';

export interface RoundResult {
  target: Phase;
  /** Where the kill landed (the phase of the last line the child printed). */
  hit: Landing | 'none';
  /** `*.state` directories verified after the kill. */
  verified: number;
  /** Leftovers of the killed save found right after the kill. */
  leftovers: number;
  failures: string[];
}

export interface CrashRunOptions {
  size?: 'large' | 'small';
  /** Milliseconds; the child saves every saveEveryMs[0] + random × (saveEveryMs[1] − saveEveryMs[0]). */
  saveEveryMs?: [number, number];
  maxKeep?: number;
  /** Give up on a round whose target phase never came (ms): a hang detector, generous for loaded machines. */
  roundTimeoutMs?: number;
  /** Where the child trains (see child.ts); in worker mode the child reports the main thread's part only. */
  threading?: 'main' | 'worker';
}

/** A sequence of crash rounds on one states directory. */
export class CrashRun {
  /** The newest state the children reported committed (commit:end), over all rounds. */
  lastCommitted: string | undefined;
  private expected: Snapshot | undefined;
  private killedBefore = false;
  readonly options: Required<CrashRunOptions>;

  constructor(
    readonly statesDir: string,
    readonly random: () => number,
    options: CrashRunOptions = {},
  ) {
    this.options = {
      size: 'large',
      saveEveryMs: [50, 100],
      maxKeep: 2,
      roundTimeoutMs: 120_000,
      threading: 'main',
      ...options,
    };
  }

  /** What a child reports of `s` (all of it, or in worker mode the main thread's part). */
  private reported(s: Snapshot | undefined): string {
    if (s === undefined) return 'undefined';
    if (this.options.threading === 'main') return JSON.stringify(s);
    return JSON.stringify({
      agentSteps: s.agentSteps,
      envObservations: s.envObservations,
      episodeCount: s.episodeCount,
    });
  }

  /** One round: start, kill inside `target` (see {@link KillMode}), check. */
  async round(target: Phase, mode: KillMode = 'timed'): Promise<RoundResult> {
    const failures: string[] = [];
    const { saveEveryMs, maxKeep, size, threading } = this.options;
    const saveEvery = saveEveryMs[0] + this.random() * (saveEveryMs[1] - saveEveryMs[0]);
    // Never in the child's first save, as in timed mode: a state it committed must exist to be kept.
    const killAt =
      mode === 'marker' ? { phase: START_OF[target], occurrence: 2 + Math.floor(this.random() * 2) } : undefined;
    const child = startChild({
      statesDir: this.statesDir,
      saveEveryMs: saveEvery,
      maxKeep,
      savedStatePath: 'latest',
      size,
      threading,
      killAt,
    });

    // Phase durations seen in this child (child clock), to place the kill inside the target.
    const durations = new Map<string, number[]>();
    let previous: { p: string; t: number } | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let armed = false;
    child.onLine((line) => {
      if (line.kind === 'ready') {
        const ready = line.data as { leftovers: string[]; snapshot: Snapshot };
        if (ready.leftovers.length) failures.push(`leftovers survived the start: ${ready.leftovers.join(', ')}`);
        if (this.expected && JSON.stringify(ready.snapshot) !== this.reported(this.expected)) {
          failures.push(
            `the relaunched system did not load the latest state as loaded in-process:\n` +
              `  child:      ${JSON.stringify(ready.snapshot).slice(0, 400)}\n` +
              `  in-process: ${this.reported(this.expected).slice(0, 400)}`,
          );
        }
        return;
      }
      if (line.kind !== 'phase') return;
      const { p, s, t } = line.data as { p: string; s: string; t: number };
      if (previous) {
        const list = durations.get(previous.p) ?? [];
        list.push(t - previous.t);
        durations.set(previous.p, list);
      }
      previous = { p, t };
      if (p === 'commit:end') this.lastCommitted = s;
      if (mode === 'marker' || armed || p !== START_OF[target]) return;
      const seen = durations.get(p);
      if (!seen?.length) return; // learn this phase's duration from one full occurrence first
      armed = true;
      const shortest = Math.min(...seen);
      const delay = Math.max(0, this.random() * 0.8 * shortest - 0.5);
      killTimer = setTimeout(() => child.kill('SIGKILL'), delay);
    });
    const watchdog = setTimeout(() => {
      failures.push(`the '${target}' phase was not reached within ${this.options.roundTimeoutMs} ms`);
      child.kill('SIGKILL');
    }, this.options.roundTimeoutMs);

    const { code, signal } = await child.exited;
    clearTimeout(watchdog);
    clearTimeout(killTimer);
    if (signal !== 'SIGKILL') {
      failures.push(
        `the child exited by itself (code ${code}, signal ${signal}); stderr:\n${child.stderr().slice(-2000)}`,
      );
    }
    if (this.killedBefore && !/Taking over the lock .* left by process \d+/.test(child.stderr())) {
      failures.push(
        `the lock of the killed process was not taken over with a warning; stderr:\n${child.stderr().slice(-1000)}`,
      );
    }
    this.killedBefore = true;
    const phases = child.lines.filter((l) => l.kind === 'phase');
    const lastPhase = phases[phases.length - 1]?.data.p as string | undefined;
    const hit: Landing | 'none' = lastPhase ? LANDING[lastPhase]! : 'none';

    const after = await this.check(failures);
    return { target, hit, verified: after.verified, leftovers: after.leftovers, failures };
  }

  /** The checks after a kill; also remembers what the next start must load. */
  private async check(failures: string[]): Promise<{ verified: number; leftovers: number }> {
    const names = readdirSync(this.statesDir);
    const leftovers = names.filter((n) => n.startsWith('.pamiq-tmp-') || n.startsWith('.pamiq-trash-')).length;
    const states = names.filter((n) => n.endsWith('.state')).map((n) => join(this.statesDir, n));
    let verified = 0;
    const created = new Map<string, bigint>();
    for (const path of states) {
      try {
        const report = await engine().verifyState(path);
        if (report.problems.length) {
          failures.push(`${path} does not verify: ${report.problems.map((p) => `${p.path} ${p.fault}`).join(', ')}`);
        } else {
          verified++;
          created.set(path, BigInt(report.manifest.createdAtNs));
        }
      } catch (err) {
        failures.push(`${path} does not verify: ${(err as Error).message}`);
      }
    }
    if (verified === 0) failures.push('no valid state remains');
    if (this.lastCommitted !== undefined && !created.has(this.lastCommitted)) {
      failures.push(
        `the newest committed state ${this.lastCommitted} was lost (${existsSync(this.lastCommitted) ? 'corrupt' : 'gone'})`,
      );
    }
    const latest = await latestState(this.statesDir);
    if (latest === undefined) {
      failures.push('latestState() found nothing');
      this.expected = undefined;
    } else {
      const newest = this.lastCommitted ? created.get(this.lastCommitted) : undefined;
      if (newest !== undefined && (created.get(latest) ?? -1n) < newest) {
        failures.push(`latestState() returned ${latest}, older than the newest committed ${this.lastCommitted}`);
      }
      try {
        const snapshot = await loadFresh(latest, this.options.size);
        const bad = checkSnapshot(snapshot);
        if (bad.length) failures.push(`${latest} loads, but is inconsistent: ${bad.join('; ')}`);
        this.expected = snapshot;
      } catch (err) {
        failures.push(`${latest} does not load into a fresh system: ${(err as Error).stack}`);
        this.expected = undefined;
      }
    }
    return { verified, leftovers };
  }

  /**
   * A last, clean start after the final kill: the leftovers are removed, the latest state loads, and a
   * SIGTERM shuts the system down with a final save. Returns the failures.
   */
  async finish(): Promise<string[]> {
    const failures: string[] = [];
    const child = startChild({
      statesDir: this.statesDir,
      maxKeep: this.options.maxKeep,
      savedStatePath: 'latest',
      size: this.options.size,
      threading: this.options.threading,
    });
    try {
      const ready = await child.waitFor('ready');
      if (ready.data.leftovers.length)
        failures.push(`leftovers survived the start: ${ready.data.leftovers.join(', ')}`);
      if (this.expected && JSON.stringify(ready.data.snapshot) !== this.reported(this.expected)) {
        failures.push('the relaunched system did not load the latest state as loaded in-process');
      }
      child.kill('SIGTERM');
      const done = await child.waitFor('done');
      if (!done.data.final) failures.push(`no final save: ${JSON.stringify(done.data.failed)}`);
    } catch (err) {
      failures.push((err as Error).message);
      child.kill('SIGKILL');
    }
    const { code } = await child.exited;
    if (code !== 0) failures.push(`the last start exited with code ${code}; stderr:\n${child.stderr().slice(-2000)}`);
    const left = readdirSync(this.statesDir).filter((n) => n.startsWith('.pamiq-'));
    if (left.length) failures.push(`left in the states directory after a clean shutdown: ${left.join(', ')}`);
    return failures;
  }
}

/** Totals over rounds, and the summary line the soak prints. */
export class CrashTally {
  rounds = 0;
  kills: Record<Landing | 'none', number> = { capture: 0, write: 0, commit: 0, remove: 0, between: 0, none: 0 };
  verified = 0;
  leftovers = 0;
  failures: string[] = [];

  add(r: RoundResult, label = ''): void {
    this.rounds++;
    this.kills[r.hit]++;
    this.verified += r.verified;
    this.leftovers += r.leftovers;
    for (const f of r.failures)
      this.failures.push(`round ${this.rounds}${label} (target ${r.target}, hit ${r.hit}): ${f}`);
  }

  summary(backend: string): string {
    const k = this.kills;
    return (
      `backend ${backend}: rounds ${this.rounds}, kills per phase: capture ${k.capture}, write ${k.write}, ` +
      `commit ${k.commit}, remove ${k.remove}, between saves ${k.between}, ` +
      `states verified ${this.verified}, leftovers cleaned ${this.leftovers}, failures ${this.failures.length} ` +
      `(states lost: ${this.failures.filter((f) => / was lost /.test(f)).length})`
    );
  }
}
