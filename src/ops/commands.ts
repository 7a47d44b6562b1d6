/**
 * The web API's command queue (PAMIQ-Core's semantics): a bounded FIFO that the HTTP handlers fill and
 * one consumer drains, carrying out each command on the system before taking the next. A 200 from the
 * API means *queued*; a full queue answers 503. A command being carried out no longer occupies the
 * queue, so with the default capacity of 1 one command can wait behind the one in progress.
 */
import { getLogger } from '../log.js';

const log = getLogger('ops.commands');

export type ControlCommand = 'pause' | 'resume' | 'save-state' | 'shutdown';

/** What the consumer carries commands out on (launch's SystemControl fits). */
export interface CommandTarget {
  pause(): Promise<boolean>;
  resume(): void;
  saveState(): Promise<string>;
  shutdown(): void;
}

/** The outcome of a command, for callers that wait (`?wait=1`). */
export type CommandOutcome = { ok: true; path?: string } | { ok: false; error: string };

interface Entry {
  command: ControlCommand;
  done?: (outcome: CommandOutcome) => void;
}

export class CommandQueue {
  private readonly entries: Entry[] = [];
  private current: ControlCommand | undefined;
  private draining = false;
  private closed = false;

  /** @throws RangeError when `capacity` is not an integer ≥ 1. */
  constructor(
    readonly capacity: number,
    private readonly target: CommandTarget,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`the command queue size must be an integer ≥ 1, got ${capacity}`);
    }
  }

  /** Commands waiting (not counting the one being carried out). */
  get size(): number {
    return this.entries.length;
  }

  /** The command being carried out, if any. */
  get inProgress(): ControlCommand | undefined {
    return this.current;
  }

  /** True once a shutdown was taken from the queue; later commands are refused. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Queues a command. @returns false when the queue is full or closed (nothing is queued then).
   * `done` receives the outcome once the command was carried out (or dropped at shutdown).
   */
  offer(command: ControlCommand, done?: (outcome: CommandOutcome) => void): boolean {
    if (this.closed || this.entries.length >= this.capacity) return false;
    this.entries.push({ command, done });
    queueMicrotask(() => void this.drain());
    return true;
  }

  /** Refuses further commands and answers the waiting ones with `reason`. */
  close(reason: string): void {
    this.closed = true;
    for (const e of this.entries.splice(0)) e.done?.({ ok: false, error: reason });
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let e = this.entries.shift(); e; e = this.entries.shift()) {
        this.current = e.command;
        let outcome: CommandOutcome;
        try {
          outcome = await this.carryOut(e.command);
        } catch (err) {
          outcome = { ok: false, error: err instanceof Error ? err.message : String(err) };
          log.error(`The '${e.command}' command failed: ${outcome.error}`);
        } finally {
          this.current = undefined;
        }
        e.done?.(outcome);
        if (e.command === 'shutdown') {
          this.close('The system is shutting down');
          break;
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async carryOut(command: ControlCommand): Promise<CommandOutcome> {
    switch (command) {
      case 'pause':
        return (await this.target.pause()) ? { ok: true } : { ok: false, error: 'The loops did not pause in time' };
      case 'resume':
        this.target.resume();
        return { ok: true };
      case 'save-state':
        return { ok: true, path: await this.target.saveState() };
      case 'shutdown':
        this.target.shutdown();
        return { ok: true };
    }
  }
}
