/**
 * Remote variants of `pamiq states …`: the states kept in an S3-compatible bucket.
 *
 *   pamiq states list --remote s3://BUCKET/PREFIX            remote states, newest last; incomplete uploads
 *   pamiq states inspect NAME --remote s3://BUCKET/PREFIX    manifest of one remote state
 *   pamiq states verify [NAME] --remote s3://BUCKET/PREFIX   download + verify (XXH3) one or every state
 *   pamiq states push STATE|DIR --remote s3://BUCKET/PREFIX  upload one state, or the newest valid of DIR
 *   pamiq states pull DIR --remote s3://BUCKET/PREFIX [--state NAME]
 *                                                            download + verify one state (default: newest)
 *
 * `--endpoint URL` selects an S3-compatible server, `--region` the region; credentials come from the
 * standard AWS chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, shared config and credentials files, …).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { StatesDirLock } from '../state/lock.js';
import { DEFAULT_STATE_NAME_PATTERN } from '../state/names.js';
import { latestState } from '../state/scan.js';
import { resolveRemoteConfig } from '../remote/config.js';
import type { RemoteStore } from '../remote/store.js';

const out = (line = '') => process.stdout.write(`${line}\n`);

interface RemoteOptions {
  remote?: string;
  endpoint?: string;
  region?: string;
  pattern?: string;
}

/**
 * A RemoteStore for `--remote s3://bucket/prefix`.
 * @throws Error when the URL is not `s3://bucket[/prefix]` or the options are invalid.
 */
export async function remoteFromOptions(opts: RemoteOptions): Promise<RemoteStore> {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(opts.remote ?? '');
  if (!m) throw new Error(`--remote must be s3://BUCKET[/PREFIX], got ${JSON.stringify(opts.remote)}`);
  const { RemoteStore } = await import('../remote/store.js'); // the S3 client loads only for remote commands
  return new RemoteStore(
    resolveRemoteConfig({ bucket: m[1]!, prefix: m[2]!, endpoint: opts.endpoint, region: opts.region }),
  );
}

const bytes = (n: number) =>
  n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`;
const created = (ns: string) => new Date(Number(BigInt(ns) / 1_000_000n)).toISOString();

function table(rows: string[][]) {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
}

async function remoteList(opts: RemoteOptions) {
  const remote = await remoteFromOptions(opts);
  const { states, incomplete } = await remote.list(opts.pattern);
  if (states.length === 0 && incomplete.length === 0) {
    out(`no states in ${remote.where}`);
    return;
  }
  table([
    ['NAME', 'CREATED (UTC)', 'SIZE', 'FILES', 'STATUS'],
    ...states.map((s) => [s.name, created(s.createdAtNs), bytes(s.size), String(s.fileCount), 'committed']),
    ...incomplete.map((s) => [s.name, '-', '-', '-', `incomplete: ${s.reason}`]),
  ]);
}

async function remoteInspect(name: string, opts: RemoteOptions) {
  const remote = await remoteFromOptions(opts);
  const m = await remote.manifest(name);
  out(`state       ${name} in ${remote.where}`);
  out(`created     ${created(m.createdAtNs)}`);
  out(`written by  ${m.library.name} ${m.library.version} (format ${m.formatVersion})`);
  out(`components  ${m.components.join(', ')}`);
  out(`size        ${bytes(m.files.reduce((s, f) => s + f.size, 0))} in ${m.files.length} files`);
  out();
  table([['FILE', 'SIZE', 'XXH3'], ...m.files.map((f) => [f.path, bytes(f.size), f.xxh3])]);
}

async function remoteVerify(name: string | undefined, opts: RemoteOptions) {
  const remote = await remoteFromOptions(opts);
  const names = name ? [name] : (await remote.list(opts.pattern)).states.map((s) => s.name);
  if (names.length === 0) {
    out(`no states in ${remote.where}`);
    return;
  }
  const scratch = mkdtempSync(join(tmpdir(), 'pamiq-verify-'));
  let bad = 0;
  try {
    for (const n of names) {
      try {
        const problems = await remote.verify(n, scratch);
        if (problems.length) {
          bad++;
          out(`BAD  ${n}: ${problems.map((p) => `${p.path}: ${p.fault} (${p.detail})`).join('; ')}`);
        } else out(`OK   ${n}`);
      } catch (err) {
        bad++;
        out(`BAD  ${n}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  out(`${names.length - bad} verified, ${bad} bad`);
  if (bad) process.exitCode = 1;
}

async function push(target: string, opts: RemoteOptions) {
  const remote = await remoteFromOptions(opts);
  const path = resolve(target);
  const state = existsSync(join(path, 'manifest.json')) ? path : await latestState(path, opts.pattern);
  if (!state) throw new Error(`no valid state matching '${opts.pattern}' in ${path}`);
  const r = await remote.push(state);
  out(
    r.alreadyThere
      ? `already there: ${state} as ${r.remoteName}`
      : `pushed ${state} as ${r.remoteName} (${bytes(r.bytes)})`,
  );
}

async function pull(dir: string, opts: RemoteOptions & { state?: string }) {
  const remote = await remoteFromOptions(opts);
  let name = opts.state;
  if (!name) {
    const { states } = await remote.list(opts.pattern);
    if (states.length === 0) throw new Error(`no states in ${remote.where}`);
    name = states[states.length - 1]!.name;
  }
  // Writing into a states directory: not while a running system owns it.
  const lock = StatesDirLock.acquire(dir);
  try {
    out(`pulled ${name} into ${await remote.pull(name, dir)}`);
  } finally {
    lock.release();
  }
}

const remoteOptions = (cmd: Command, required: boolean) => {
  const remote = new Option('--remote <s3-url>', 'the remote: s3://BUCKET[/PREFIX]');
  if (required) remote.makeOptionMandatory();
  return cmd
    .addOption(remote)
    .option('--endpoint <url>', 'S3-compatible endpoint (default: AWS)')
    .option('--region <region>', 'region (default: AWS_REGION, else us-east-1)');
};

type Action = (...args: never[]) => unknown;

/**
 * Adds `--remote` to `states list|inspect|verify` (each then runs its remote variant; `local` are the
 * local actions run without it) and adds `states push` and `states pull`.
 */
export function registerRemoteCommands(
  states: Command,
  local: { list: Action; inspect: Action; verify: Action },
): void {
  const find = (name: string) => states.commands.find((c) => c.name() === name);
  const dispatch = (
    name: 'list' | 'inspect' | 'verify',
    remote: (arg: string | undefined, opts: RemoteOptions) => Promise<void>,
    optionalArg: boolean,
  ) => {
    const cmd = find(name);
    if (!cmd) return;
    if (optionalArg) for (const a of cmd.registeredArguments) (a as { required: boolean }).required = false;
    remoteOptions(cmd, false).action(async (arg: string | undefined, opts: RemoteOptions) => {
      if (opts.remote) return remote(arg, opts);
      if (arg === undefined)
        throw new Error(`'states ${name}' needs a ${name === 'inspect' ? 'state' : 'directory'} (or --remote)`);
      await (local[name] as (a: string, o: RemoteOptions) => unknown)(arg, opts);
    });
  };
  dispatch('list', (_arg, opts) => remoteList(opts), true);
  dispatch('inspect', (arg, opts) => remoteInspect(arg!, opts), false);
  dispatch('verify', remoteVerify, true);
  const pattern = ['--pattern <glob>', 'state directory name pattern', DEFAULT_STATE_NAME_PATTERN] as const;
  remoteOptions(states.command('push'), true)
    .argument('<state-or-dir>')
    .option(...pattern)
    .description('upload one state, or the newest valid state of a directory, to the remote')
    .action(push);
  remoteOptions(states.command('pull'), true)
    .argument('<dir>')
    .option('--state <name>', 'the remote state to download (default: the newest)')
    .option(...pattern)
    .description('download and verify a remote state into a states directory')
    .action(pull);
}
