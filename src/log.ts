/**
 * Logging through pino. Every component asks {@link getLogger} for a child logger tagged with its
 * `component`. Lines are formatted by pino-pretty synchronously (in this thread, no worker) so they
 * interleave correctly with the process's own output and can be captured by specs.
 *
 * The level comes from `PAMIQ_LOG_LEVEL` (default `info`); {@link setLogLevel} changes it at runtime.
 * Output goes to stderr unless {@link setLogDestination} redirects it.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';
import pinoPretty from 'pino-pretty';

export type { Logger };

/** Anything lines can be written to: a Node stream, or a plain object in specs. */
export interface LogDestination {
  write(line: string): unknown;
}

const LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const envLevel = (process.env.PAMIQ_LOG_LEVEL ?? '').trim().toLowerCase();
const badEnvLevel = envLevel !== '' && !LEVELS.includes(envLevel);

function levelFromEnv(): LevelWithSilent {
  return (LEVELS.includes(envLevel) ? envLevel : 'info') as LevelWithSilent;
}

function makePrettifier(colorize: boolean): (line: string) => string {
  return pinoPretty.prettyFactory({
    colorize,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'pid,hostname,component',
    messageFormat: '{if component}[{component}] {end}{msg}',
    singleLine: false,
  });
}

let destination: LogDestination = process.stderr;
let prettify = makePrettifier(process.stderr.isTTY === true);

// pino writes serialised JSON lines here; the indirection lets the destination change after loggers
// were created (modules create theirs at import time).
let rawSink: ((json: string) => void) | undefined;
const sink = {
  write(json: string): void {
    if (rawSink) rawSink(json);
    else destination.write(prettify(json));
  },
};

/**
 * Sends every log record, as pino's JSON line, to `fn` instead of formatting it here (a worker
 * thread forwards its records to the main thread this way); `undefined` restores formatting.
 * @internal used by the worker runtime.
 */
export function setRawLogSink(fn: ((json: string) => void) | undefined): void {
  rawSink = fn;
}

/**
 * Formats and writes a record produced by another thread's logger, as if logged here.
 * @internal used by the worker runtime.
 */
export function writeRawLog(json: string): void {
  sink.write(json);
}

const root: Logger = pino({ level: levelFromEnv(), base: undefined }, sink);
const children = new Map<string, Logger>();
if (badEnvLevel) {
  root.warn(`PAMIQ_LOG_LEVEL='${envLevel}' is not one of ${LEVELS.join(', ')}; using 'info'.`);
}

/** The logger of one component; lines carry `{component}`. Cached per name. */
export function getLogger(component: string): Logger {
  let logger = children.get(component);
  if (logger === undefined) {
    logger = root.child({ component });
    children.set(component, logger);
  }
  return logger;
}

/**
 * Sends formatted lines to `dest` (uncoloured unless `colorize`), or back to stderr when omitted.
 * Returns the previous destination so a caller can restore it.
 */
export function setLogDestination(dest?: LogDestination, colorize = false): LogDestination {
  const previous = destination;
  if (dest === undefined) {
    destination = process.stderr;
    prettify = makePrettifier(process.stderr.isTTY === true);
  } else {
    destination = dest;
    prettify = makePrettifier(colorize);
  }
  return previous;
}

/** Sets the level of the root logger and of every component logger. Throws RangeError for an unknown level. */
export function setLogLevel(level: string): void {
  if (!LEVELS.includes(level)) {
    throw new RangeError(`unknown log level '${level}' (expected one of ${LEVELS.join(', ')})`);
  }
  root.level = level;
  for (const logger of children.values()) logger.level = level;
}

export function getLogLevel(): string {
  return root.level;
}

const captures = new Set<string[]>();
let beforeCaptures: LogDestination | undefined;

/**
 * Collects formatted log lines until the returned `stop()` is called. Captures may overlap (specs run
 * concurrently): every line goes to every active capture, and the previous destination comes back
 * when the last one stops. For specs: `const logs = captureLogs(); …; logs.stop(); logs.text()`.
 */
export function captureLogs(): { lines: string[]; text(): string; stop(): void } {
  const lines: string[] = [];
  if (captures.size === 0) {
    beforeCaptures = setLogDestination({
      write(line: string) {
        for (const c of captures) c.push(line);
      },
    });
  }
  captures.add(lines);
  return {
    lines,
    text: () => lines.join(''),
    stop: () => {
      if (!captures.delete(lines) || captures.size > 0) return;
      if (beforeCaptures === undefined || beforeCaptures === process.stderr) setLogDestination();
      else setLogDestination(beforeCaptures);
      beforeCaptures = undefined;
    },
  };
}
