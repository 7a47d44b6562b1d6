/**
 * `pamiq console [--host] [--port]`: PAMIQ-Core's interactive console (same commands, prompt and
 * messages) on node:readline, with word completion and a history kept across sessions.
 *
 * The command layer ({@link ConsoleSession}) is separate from the terminal so it can be driven
 * directly: it takes a line and prints through the given output.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import type { Command as Program } from 'commander';
import { WebApiClient } from '../ops/client.js';
import { SystemStatus, statusName } from '../ops/status.js';
import { port } from './ctl.js';

export const WELCOME = 'Welcome to the PAMIQ console. "help" lists commands.\n';
export const COMMANDS = ['h', 'help', 'p', 'pause', 'r', 'resume', 'save', 'shutdown', 'q', 'quit'] as const;
const NEEDS_SYSTEM = new Set(['pause', 'p', 'resume', 'r', 'save', 'shutdown']);

const HELP = [
  'h/help    Show all commands and details.',
  'p/pause   Pause the AMI system.',
  'r/resume  Resume the AMI system.',
  'save      Save a checkpoint.',
  'shutdown  Shutdown the AMI system.',
  'q/quit    Exit the console.',
].join('\n');

export interface ConsoleIO {
  print(line: string): void;
  /** Asks a question and resolves with the answer ('' at end of input). */
  ask(question: string): Promise<string>;
}

export class ConsoleSession {
  status: SystemStatus = SystemStatus.OFFLINE;

  constructor(
    private readonly client: WebApiClient,
    private readonly io: ConsoleIO,
  ) {}

  async fetchStatus(): Promise<SystemStatus> {
    this.status = await this.client.getStatus();
    return this.status;
  }

  prompt(): string {
    return `pamiq-console (${statusName(this.status)}) > `;
  }

  /**
   * Runs one input line. @returns true when the console should exit (quit, or a shutdown that was
   * sent). Empty input is ignored; unknown input prints `*** Unknown syntax: …`.
   */
  async run(line: string): Promise<boolean> {
    const command = line.trim();
    if (command === '') return false;
    if (!(COMMANDS as readonly string[]).includes(command)) {
      this.io.print(`*** Unknown syntax: ${command}`);
      return false;
    }
    await this.fetchStatus();
    if (NEEDS_SYSTEM.has(command) && this.status === SystemStatus.OFFLINE) {
      this.io.print(`Command "${command}" not executed. Can't connect AMI system.`);
      return false;
    }
    const exit = await this.execute(command);
    await this.fetchStatus();
    return exit;
  }

  private async execute(command: string): Promise<boolean> {
    switch (command) {
      case 'h':
      case 'help':
        this.io.print(HELP);
        return false;
      case 'p':
      case 'pause':
        this.io.print((await this.client.send('pause')) ?? 'Failed to pause...');
        return false;
      case 'r':
      case 'resume':
        this.io.print((await this.client.send('resume')) ?? 'Failed to resume...');
        return false;
      case 'save':
        this.io.print((await this.client.send('save-state')) ?? 'Failed to save state...');
        return false;
      case 'shutdown': {
        const confirm = (await this.io.ask('Confirm AMI system shutdown? (y/[N]): ')).trim().toLowerCase();
        if (confirm === 'y' || confirm === 'yes') {
          if (await this.client.send('shutdown')) return true;
          this.io.print('Failed to shutdown...');
        }
        this.io.print('Shutdown cancelled.');
        return false;
      }
      default: // q, quit
        return true;
    }
  }
}

/** Where the history is kept: `PAMIQ_CONSOLE_HISTORY`, else `~/.pamiq_console_history`. */
function historyFile(): string {
  return process.env.PAMIQ_CONSOLE_HISTORY || join(homedir(), '.pamiq_console_history');
}

function loadHistory(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).reverse().slice(0, 1000);
  } catch {
    return [];
  }
}

/** Runs the console on stdin/stdout until quit, a sent shutdown, or end of input. */
export async function runConsole(opts: { host: string; port: number; token?: string }): Promise<void> {
  const client = new WebApiClient(opts);
  const file = historyFile();
  const rl: Interface = createInterface({
    input: process.stdin,
    output: process.stdout,
    completer: (line: string) => {
      const hits = COMMANDS.filter((c) => c.startsWith(line.trim()));
      return [hits.length ? hits : [...COMMANDS], line];
    },
    history: loadHistory(file),
    historySize: 1000,
    removeHistoryDuplicates: true,
  });
  const lines = rl[Symbol.asyncIterator]();
  let ended = false;
  const next = async (): Promise<string | undefined> => {
    if (ended) return undefined;
    const r = await lines.next();
    if (r.done) ended = true;
    return r.done ? undefined : (r.value as string);
  };
  const session = new ConsoleSession(client, {
    print: (line) => process.stdout.write(`${line}\n`),
    ask: async (question) => {
      process.stdout.write(question);
      return (await next()) ?? '';
    },
  });
  rl.on('SIGINT', () => rl.close());
  process.stdout.write(`${WELCOME}\n`);
  try {
    for (;;) {
      await session.fetchStatus();
      rl.setPrompt(session.prompt());
      rl.prompt();
      const line = await next();
      if (line === undefined) {
        process.stdout.write('\n');
        break;
      }
      if (line.trim() !== '') {
        try {
          appendFileSync(file, `${line.trim()}\n`);
        } catch {
          // History is a convenience; an unwritable home directory does not stop the console.
        }
      }
      if (await session.run(line)) break;
    }
  } finally {
    rl.close();
  }
}

/** Adds `pamiq console` to the program. */
export function registerConsole(program: Program): void {
  program
    .command('console')
    .description("PAMIQ-Core's interactive console for a running system (pause, resume, save, shutdown)")
    .option('--host <host>', 'web API host', 'localhost')
    .option('--port <port>', 'web API port', port, 8391)
    .option('--token <token>', 'bearer token (default: PAMIQ_API_TOKEN)')
    .action(async (o: { host: string; port: number; token?: string }) => {
      await runConsole({ ...o, token: o.token ?? (process.env.PAMIQ_API_TOKEN || undefined) });
    });
}
