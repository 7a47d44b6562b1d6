/**
 * The lock race: pairs of real processes try to take the lock of the same fresh states directory at
 * the same millisecond, and no pair may have two holders. Written once for the spec (lock-race.spec.ts,
 * a short run) and the script (`npm run lock-race -- [pairs]`, 1,000 pairs by default).
 *
 * Four long-lived contender processes (two per backend: native and the twin) are started once; each
 * round gives a fresh directory to two of them (native+native, twin+twin, native+twin in turn), so
 * every pair is two distinct OS processes and the backends contend with each other too. Every third
 * round first leaves a stale claim in the directory (that of a process that no longer runs), so the
 * take-over path races as well. Both answers are collected before either releases: a round where
 * both say `held` is a double holder.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./lock-race-worker.ts', import.meta.url));

interface Contender {
  backend: string;
  proc: ChildProcess;
  next(): Promise<Record<string, unknown>>;
  send(o: object): void;
}

function startContender(backendName: 'native' | 'ts'): Contender {
  const proc = spawn(process.execPath, ['--import=tsx', WORKER], {
    env: { ...process.env, PAMIQ_BACKEND: backendName },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const queue: Record<string, unknown>[] = [];
  const waiting: ((o: Record<string, unknown>) => void)[] = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    const o = JSON.parse(l) as Record<string, unknown>;
    const w = waiting.shift();
    if (w) w(o);
    else queue.push(o);
  });
  return {
    backend: backendName,
    proc,
    next: () => (queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise((r) => waiting.push(r))),
    send: (o) => proc.stdin!.write(`${JSON.stringify(o)}\n`),
  };
}

function linuxIdentity(): { bootId?: string; pidNs?: string; startTicks?: string } {
  try {
    return {
      bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
      pidNs: readlinkSync('/proc/self/ns/pid'),
      startTicks: '1',
    };
  } catch {
    return {};
  }
}

export interface RaceResult {
  pairs: number;
  /** Rounds where both contenders held the lock at once. */
  doubleHolders: number;
  /** Rounds where exactly one held it. */
  oneHolder: number;
  /** Rounds where both backed off (safe, but neither got it). */
  noHolder: number;
  /** Rounds that started with a stale claim. */
  staleRounds: number;
  /** Claim files left after both released (must be 0). */
  leftoverClaims: number;
  byPairing: Record<string, { pairs: number; doubleHolders: number }>;
  ms: number;
}

/** Runs `pairs` rounds; `native` false runs twin contenders only (no native backend). */
export async function runLockRace(pairs: number, native = true): Promise<RaceResult> {
  const contenders = [
    startContender(native ? 'native' : 'ts'),
    startContender(native ? 'native' : 'ts'),
    startContender('ts'),
    startContender('ts'),
  ];
  const pairings: [Contender, Contender, string][] = native
    ? [
        [contenders[0]!, contenders[1]!, 'native+native'],
        [contenders[2]!, contenders[3]!, 'twin+twin'],
        [contenders[0]!, contenders[2]!, 'native+twin'],
      ]
    : [[contenders[2]!, contenders[3]!, 'twin+twin']];
  const root = mkdtempSync(join(tmpdir(), 'pamiq-lock-race-'));
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  // The claim a twin holder killed on this machine leaves (its pid no longer runs).
  const staleHolder = { pid: dead, host: hostname(), osLock: false, ...linuxIdentity() };
  const result: RaceResult = {
    pairs,
    doubleHolders: 0,
    oneHolder: 0,
    noHolder: 0,
    staleRounds: 0,
    leftoverClaims: 0,
    byPairing: {},
    ms: 0,
  };
  const begin = Date.now();
  try {
    for (const c of contenders) await c.next(); // ready
    for (let i = 0; i < pairs; i++) {
      const [a, b, label] = pairings[i % pairings.length]!;
      const dir = join(root, `d${i}`);
      if (i % 3 === 2) {
        result.staleRounds++;
        mkdirSync(dir);
        const stale = { ...staleHolder, since: 'earlier' };
        writeFileSync(join(dir, `.pamiq.lock.000000000000001-${dead}-stale`), JSON.stringify(stale));
        // The lock file of earlier versions, left by the same dead process: not a claim, ignored.
        writeFileSync(join(dir, '.pamiq.lock'), JSON.stringify({ pid: dead, host: hostname(), since: 'earlier' }));
      }
      const at = Date.now() + 15;
      a.send({ go: dir, at });
      b.send({ go: dir, at });
      const [ra, rb] = await Promise.all([a.next(), b.next()]);
      const holders = [ra, rb].filter((r) => r.held === true).length;
      result.byPairing[label] ??= { pairs: 0, doubleHolders: 0 };
      const p = result.byPairing[label];
      p.pairs++;
      if (holders === 2) {
        result.doubleHolders++;
        p.doubleHolders++;
      } else if (holders === 1) result.oneHolder++;
      else result.noHolder++;
      a.send({ release: true });
      b.send({ release: true });
      await Promise.all([a.next(), b.next()]);
      result.leftoverClaims += readdirSync(dir).filter(
        (n) => n.startsWith('.pamiq.lock.') || n.startsWith('.pamiq-lock'),
      ).length;
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    for (const c of contenders) c.proc.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  }
  result.ms = Date.now() - begin;
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const pairs = Number(process.argv[2] ?? 1000);
  const r = await runLockRace(pairs, process.env.PAMIQ_BACKEND !== 'ts');
  console.log(JSON.stringify(r, null, 2));
  process.exitCode = r.doubleHolders === 0 && r.leftoverClaims === 0 ? 0 : 1;
}
