/**
 * `pamiq ctl status|pause|resume|save|shutdown [--wait] [--json]`: one command to a running system,
 * for scripts. Exit codes:
 *
 *   0  done (status: the system answered)
 *   1  the command failed (a save or pause that did not succeed, a server error)
 *   3  the system cannot be reached (offline)
 *   4  refused: the command queue is full or the system is shutting down (try again / too late)
 *   5  unauthorized: missing or wrong token
 *   2  usage errors (from the command line parser)
 */
import type { Command as Program } from 'commander';
import { WebApiClient, type Command } from '../ops/client.js';
import { SystemStatus, statusName } from '../ops/status.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, offline: 3, refused: 4, unauthorized: 5 } as const;

export interface CtlOptions {
  host: string;
  port: number;
  token?: string;
  wait?: boolean;
  json?: boolean;
  /** Seconds `shutdown --wait` waits for the system to go away. */
  timeout: number;
}

export interface CtlOutput {
  out(line: string): void;
  err(line: string): void;
}

const COMMANDS: Record<string, Command | 'status'> = {
  status: 'status',
  pause: 'pause',
  resume: 'resume',
  save: 'save-state',
  shutdown: 'shutdown',
};

function exitFor(status: number): number {
  if (status === 0) return EXIT.offline;
  if (status === 401) return EXIT.unauthorized;
  if (status === 503) return EXIT.refused;
  return status >= 200 && status < 300 ? EXIT.ok : EXIT.failed;
}

/** Runs one ctl command; returns the exit code. */
export async function runCtl(action: string, opts: CtlOptions, io: CtlOutput): Promise<number> {
  const command = COMMANDS[action];
  if (command === undefined) {
    io.err(`unknown command '${action}' (expected ${Object.keys(COMMANDS).join(', ')})`);
    return EXIT.usage;
  }
  const client = new WebApiClient({ host: opts.host, port: opts.port, token: opts.token });
  const where = client.baseUrl;

  if (command === 'status') {
    const a = await client.request<{ status?: number; name?: string; error?: string }>('GET', '/api/status');
    const code = exitFor(a.status);
    if (opts.json) {
      const name = a.status === 200 ? a.body?.name : statusName(SystemStatus.OFFLINE);
      io.out(
        JSON.stringify(a.status === 200 ? a.body : { status: SystemStatus.OFFLINE, name, error: a.error ?? a.body }),
      );
    } else if (a.status === 200) io.out(a.body?.name ?? String(a.body?.status));
    else io.out(describeFailure(a.status, a.body, a.error, where));
    return code;
  }

  const a = await client.command(command, opts.wait === true);
  let code = exitFor(a.status);
  let gone: boolean | undefined;
  if (code === EXIT.ok && command === 'shutdown' && opts.wait) {
    gone = await waitOffline(client, opts.timeout);
    if (!gone) code = EXIT.failed;
  }
  if (opts.json) {
    io.out(
      JSON.stringify({
        command: action,
        httpStatus: a.status,
        ...(a.body ?? { error: a.error }),
        ...(gone === undefined ? {} : { stopped: gone }),
      }),
    );
  } else if (code === EXIT.ok) {
    io.out(a.body?.path ?? (gone ? 'stopped' : (a.body?.result ?? 'ok')));
  } else if (gone === false) {
    io.err(`the system at ${where} was still running after ${opts.timeout} s`);
  } else {
    io.err(describeFailure(a.status, a.body, a.error, where));
  }
  return code;
}

function describeFailure(
  status: number,
  body: { error?: string } | undefined,
  error: string | undefined,
  where: string,
): string {
  if (status === 0) return `cannot reach the system at ${where} (${error ?? 'no answer'})`;
  return `${status}: ${body?.error ?? 'unexpected answer'}`;
}

/** Polls until the system no longer answers (its final save done and its server closed). */
async function waitOffline(client: WebApiClient, timeoutSec: number): Promise<boolean> {
  const deadline = Date.now() + timeoutSec * 1000;
  while (Date.now() < deadline) {
    if ((await client.getStatus()) === SystemStatus.OFFLINE) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new Error(`--port expects an integer in 1..65535, got '${value}'`);
  return n;
}

/** Adds `pamiq ctl` to the program. */
export function registerCtl(program: Program): void {
  program
    .command('ctl')
    .argument('<command>', 'status | pause | resume | save | shutdown')
    .description('send one command to a running system (exit 0 done, 1 failed, 3 offline, 4 refused, 5 unauthorized)')
    .option('--host <host>', 'web API host', 'localhost')
    .option('--port <port>', 'web API port', port, 8391)
    .option('--token <token>', 'bearer token (default: PAMIQ_API_TOKEN)')
    .option('--wait', 'wait for the outcome (save: print the committed path; shutdown: until the system is gone)')
    .option('--timeout <s>', 'seconds shutdown --wait waits for the system to stop', Number, 600)
    .option('--json', 'print the answer as JSON')
    // Usage errors exit 2 (commander's default 1 means "the command failed" here).
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT.usage))
    .action(async (action: string, o: Omit<CtlOptions, 'token'> & { token?: string }) => {
      process.exitCode = await runCtl(
        action,
        { ...o, token: o.token ?? (process.env.PAMIQ_API_TOKEN || undefined) },
        {
          out: (l) => process.stdout.write(`${l}\n`),
          err: (l) => process.stderr.write(`pamiq ctl: ${l}\n`),
        },
      );
    });
}
