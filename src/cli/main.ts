#!/usr/bin/env node
/**
 * `pamiq` — inspect and maintain states directories.
 *
 *   pamiq states list DIR [--verify]       name, created, size, manifest ok (or verified) or why not
 *   pamiq states inspect STATE             components and files of one state
 *   pamiq states verify STATE|DIR          exit 1 when any state is bad
 *   pamiq states prune DIR --keep N        remove all but the N newest valid states (not while a
 *                                          system runs on DIR: it holds the directory's lock)
 *   … --remote s3://BUCKET/PREFIX, push, pull   remote states (see remote.ts)
 *   pamiq console [--host] [--port]        PAMIQ-Core's console for a running system (console.ts)
 *   pamiq ctl status|pause|resume|save|shutdown [--wait] [--json]   one command, for scripts (ctl.ts)
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { backend, engine } from '../backend/select.js';
import type { Problem } from '../backend/types.js';
import { LatestStatesKeeper } from '../state/keeper.js';
import { StatesDirLock } from '../state/lock.js';
import { DEFAULT_STATE_NAME_PATTERN } from '../state/names.js';
import { scanStates } from '../state/scan.js';
import { VERSION } from '../version.js';
import { setLogLevel } from '../log.js';
import { registerRemoteCommands } from './remote.js';
import { formatNs } from './format.js';
import { registerConsole } from './console.js';
import { registerCtl } from './ctl.js';

const out = (line = '') => process.stdout.write(`${line}\n`);

function formatBytes(n: number | undefined): string {
  if (n === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

function table(rows: string[][]) {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected an integer ≥ 1');
  return n;
}

function describeProblems(problems: Problem[]): string {
  return problems.map((p) => `${p.path}: ${p.fault} (${p.detail})`).join('; ');
}

/** `true` when `path` holds a manifest.json, i.e. is meant to be one state rather than a directory of states. */
const isStateDir = (path: string) => existsSync(join(path, 'manifest.json'));

/** @throws Error naming `target` when it does not exist or is not a directory. */
function requireDirectory(target: string): string {
  const path = resolve(target);
  const st = statSync(path, { throwIfNoEntry: false });
  if (st === undefined) throw new Error(`'${target}' does not exist`);
  if (!st.isDirectory()) throw new Error(`'${target}' is not a directory`);
  return path;
}

/** The STATUS of one state: what `list` checked (the manifest), or with --verify every file's size and checksum. */
async function listStatus(
  e: { path: string; valid: boolean; reason?: string },
  verifyFiles: boolean,
): Promise<[string, boolean]> {
  if (!e.valid) return [`invalid: ${e.reason}`, false];
  if (!verifyFiles) return ['manifest ok', true];
  try {
    const report = await engine().verifyState(e.path);
    return report.problems.length ? [`CORRUPT: ${describeProblems(report.problems)}`, false] : ['verified', true];
  } catch (err) {
    return [`CORRUPT: ${err instanceof Error ? err.message : String(err)}`, false];
  }
}

async function list(dir: string, opts: { pattern: string; verify?: boolean }) {
  const path = requireDirectory(dir);
  const { entries, leftovers } = await scanStates(path, opts.pattern);
  if (entries.length === 0) out(`no states matching '${opts.pattern}' in ${path}`);
  else {
    const statuses: [string, boolean][] = [];
    for (const e of entries) statuses.push(await listStatus(e, opts.verify === true));
    table([
      ['NAME', 'CREATED (UTC)', 'SIZE', 'FILES', 'STATUS'],
      ...entries.map((e, i) => [
        e.name,
        formatNs(e.createdAtNs),
        formatBytes(e.size),
        e.fileCount === undefined ? '-' : String(e.fileCount),
        statuses[i]![0],
      ]),
    ]);
    if (!opts.verify) out('(manifests checked; files not hashed: use --verify, or `pamiq states verify`)');
    else if (statuses.some(([, ok]) => !ok)) process.exitCode = 1;
  }
  if (leftovers.length) out(`leftovers of interrupted saves or removals: ${leftovers.join(', ')}`);
}

async function inspect(state: string) {
  const report = await engine().verifyState(resolve(state));
  const m = report.manifest;
  out(`state       ${resolve(state)}`);
  out(`created     ${formatNs(m.createdAtNs)}`);
  out(`written by  ${m.library.name} ${m.library.version} (format ${m.formatVersion})`);
  out(`components  ${m.components.join(', ')}`);
  out(`size        ${formatBytes(m.files.reduce((s, f) => s + f.size, 0))} in ${m.files.length} files`);
  out(`status      ${report.problems.length ? `CORRUPT: ${describeProblems(report.problems)}` : 'verified'}`);
  out();
  table([['FILE', 'SIZE', 'XXH3'], ...m.files.map((f) => [f.path, formatBytes(f.size), f.xxh3])]);
  if (report.problems.length) process.exitCode = 1;
}

async function verify(target: string, opts: { pattern: string }) {
  const path = requireDirectory(target);
  const states = isStateDir(path) ? [path] : (await scanStates(path, opts.pattern)).entries.map((e) => e.path);
  if (states.length === 0) {
    out(`no states matching '${opts.pattern}' in ${path}`);
    return;
  }
  let bad = 0;
  for (const state of states) {
    try {
      const report = await engine().verifyState(state);
      if (report.problems.length) {
        bad++;
        out(`BAD  ${state}: ${describeProblems(report.problems)}`);
      } else out(`OK   ${state}`);
    } catch (err) {
      bad++;
      out(`BAD  ${state}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  out(`${states.length - bad} verified, ${bad} bad`);
  if (bad) process.exitCode = 1;
}

async function prune(dir: string, opts: { keep: number; dryRun?: boolean; pattern: string }) {
  requireDirectory(dir);
  const keeper = new LatestStatesKeeper({ statesDir: dir, maxKeep: opts.keep, stateNamePattern: opts.pattern });
  const selected = await keeper.selectRemovalStates();
  if (opts.dryRun) {
    for (const p of selected) out(`would remove ${p}`);
    out(`${selected.length} state(s) would be removed, ${opts.keep} newest valid kept`);
    return;
  }
  // Removing is writing: a system running on this directory owns it (its keeper decides).
  const lock = StatesDirLock.acquire(dir);
  try {
    const removed = await keeper.cleanup();
    for (const p of removed) out(`removed ${p}`);
    out(`${removed.length} state(s) removed`);
    if (removed.length !== selected.length) process.exitCode = 1;
  } finally {
    lock.release();
  }
}

export function buildCli(): Command {
  const program = new Command('pamiq')
    .description('pamiq-core command line')
    .version(VERSION)
    .addHelpText('after', () => {
      const b = backend();
      return `\nBackend: ${b.name}${b.nativeUnavailable && !b.forced ? ` (${b.nativeUnavailable})` : ''}`;
    });
  const states = program.command('states').description('inspect and maintain states directories');
  const pattern = ['--pattern <glob>', 'state directory name pattern', DEFAULT_STATE_NAME_PATTERN] as const;
  states
    .command('list')
    .argument('<dir>')
    .option(...pattern)
    .option('--verify', "also check every file's size and checksum (STATUS 'verified'); exit 1 if any state is bad")
    .description("list states, newest last; STATUS 'manifest ok' means the manifest was read, not the files hashed")
    .action(list);
  states.command('inspect').argument('<state>').description('show the components and files of a state').action(inspect);
  states
    .command('verify')
    .argument('<state-or-dir>')
    .option(...pattern)
    .description('verify one state or every state in a directory; exit 1 if any is bad')
    .action(verify);
  states
    .command('prune')
    .argument('<dir>')
    .requiredOption('--keep <n>', 'valid states to keep', positiveInt)
    .option('--dry-run', 'only print what would be removed')
    .option(...pattern)
    .description('remove all but the newest valid states')
    .action(prune);
  registerRemoteCommands(states, { list, inspect, verify });
  registerConsole(program);
  registerCtl(program);
  return program;
}

// Run when executed (also through the npm bin symlink), not when imported by specs.
const invokedDirectly =
  process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  // The commands print their own results on stdout; the library's INFO lines (e.g. the keeper's
  // `Removed: …` during prune) would repeat them. Warnings still show; PAMIQ_LOG_LEVEL overrides.
  if (!process.env.PAMIQ_LOG_LEVEL?.trim()) setLogLevel('warn');
  // `pamiq states list DIR | head` closes the pipe early; that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  buildCli()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      process.stderr.write(`pamiq: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    });
}
