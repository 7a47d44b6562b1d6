/**
 * Logging through pino. Every component asks {@link getLogger} for a child logger tagged with its
 * `component`. Lines are produced by pino in its own JSON format and written synchronously (in this
 * thread, no worker) so they interleave correctly with the process's own output and can be captured
 * by specs.
 *
 * Format (`PAMIQ_LOG_FORMAT` or {@link setLogFormat}, also launch's `logFormat`):
 * - `json`: pino's JSON, one object per line (`level`, `time`, `component`, `msg`).
 * - `pretty`: human-readable lines through pino-pretty (an optional dependency; JSON when absent).
 * - `auto` (default): pretty when the destination is a terminal, JSON otherwise; lines sent to an
 *   explicit {@link setLogDestination} (and {@link captureLogs}) are pretty when pino-pretty is there.
 *
 * The level comes from `PAMIQ_LOG_LEVEL` (default `info`); {@link setLogLevel} changes it at runtime.
 * Output goes to stderr unless {@link setLogDestination} redirects it, or {@link useLogger} hands
 * every line to an application's own pino logger.
 */
import { createRequire } from 'node:module';
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** Anything lines can be written to: a Node stream, or a plain object in specs. */
export interface LogDestination {
  write(line: string): unknown;
}

export type LogFormat = 'auto' | 'json' | 'pretty';

const LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const FORMATS: readonly string[] = ['auto', 'json', 'pretty'];

const envLevel = (process.env.PAMIQ_LOG_LEVEL ?? '').trim().toLowerCase();
const badEnvLevel = envLevel !== '' && !LEVELS.includes(envLevel);
const envFormat = (process.env.PAMIQ_LOG_FORMAT ?? '').trim().toLowerCase();
const badEnvFormat = envFormat !== '' && !FORMATS.includes(envFormat);

function levelFromEnv(): LevelWithSilent {
  return (LEVELS.includes(envLevel) ? envLevel : 'info') as LevelWithSilent;
}

type PrettyFactory = (options: Record<string, unknown>) => (line: string) => string;

/** pino-pretty's prettyFactory when the optional package is installed. */
const prettyFactory: PrettyFactory | undefined = (() => {
  try {
    const mod = createRequire(import.meta.url)('pino-pretty') as { prettyFactory?: PrettyFactory };
    return mod.prettyFactory;
  } catch {
    return undefined;
  }
})();

function makePrettifier(colorize: boolean): ((line: string) => string) | undefined {
  return prettyFactory?.({
    colorize,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'pid,hostname,component',
    messageFormat: '{if component}[{component}] {end}{msg}',
    singleLine: false,
  });
}

let format: LogFormat = FORMATS.includes(envFormat) ? (envFormat as LogFormat) : 'auto';
let destination: LogDestination = process.stderr;
let explicitDestination = false;
let colorizeExplicit = false;
let prettify: ((line: string) => string) | undefined;
let userLogger: Logger | undefined;
const userChildren = new Map<string, Logger>();

/** Recomputes the formatter after a change of format or destination. */
function refresh(): void {
  if (format === 'json') prettify = undefined;
  else if (format === 'pretty')
    prettify = makePrettifier(explicitDestination ? colorizeExplicit : process.stderr.isTTY === true);
  else if (explicitDestination) prettify = makePrettifier(colorizeExplicit);
  else prettify = process.stderr.isTTY === true ? makePrettifier(true) : undefined;
}
refresh();

/** Hands one JSON line to the application's logger, at the same level, under the same component. */
function forward(logger: Logger, json: string): void {
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(json) as Record<string, unknown>;
  } catch {
    logger.info(json.trimEnd());
    return;
  }
  const { level, time: _time, msg, component, ...rest } = obj;
  let target = logger;
  if (typeof component === 'string') {
    target = userChildren.get(component) ?? logger.child({ component });
    userChildren.set(component, target);
  }
  const label = (typeof level === 'number' && pino.levels.labels[level]) || 'info';
  (target[label as 'info'] as (o: object, m?: string) => void).call(
    target,
    rest,
    typeof msg === 'string' ? msg : undefined,
  );
}

// pino writes serialised JSON lines here; the indirection lets the destination change after loggers
// were created (modules create theirs at import time).
let rawSink: ((json: string) => void) | undefined;
const sink = {
  write(json: string): void {
    if (rawSink) rawSink(json);
    else if (userLogger) forward(userLogger, json);
    else destination.write(prettify ? prettify(json) : json);
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
if (badEnvFormat) {
  root.warn(`PAMIQ_LOG_FORMAT='${envFormat}' is not one of ${FORMATS.join(', ')}; using 'auto'.`);
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
 * Sends lines to `dest` (pretty and uncoloured unless `colorize`, or JSON under format `json`), or
 * back to stderr when omitted. Returns the previous destination so a caller can restore it.
 */
export function setLogDestination(dest?: LogDestination, colorize = false): LogDestination {
  const previous = destination;
  if (dest === undefined) {
    destination = process.stderr;
    explicitDestination = false;
    colorizeExplicit = false;
  } else {
    destination = dest;
    explicitDestination = true;
    colorizeExplicit = colorize;
  }
  refresh();
  return previous;
}

/**
 * Chooses the line format (`auto`, `json`, `pretty`; see the module doc).
 * @throws RangeError for any other value.
 */
export function setLogFormat(next: LogFormat): void {
  if (!FORMATS.includes(next)) {
    throw new RangeError(`unknown log format '${String(next)}' (expected one of ${FORMATS.join(', ')})`);
  }
  format = next;
  refresh();
}

export function getLogFormat(): LogFormat {
  return format;
}

/** True when pretty output is possible (the optional pino-pretty package is installed). */
export const prettyAvailable = prettyFactory !== undefined;

/**
 * Hands every line to an application's own pino logger (its level, destination and transports then
 * apply; our level still filters first). Call without an argument to go back to our destination.
 */
export function useLogger(logger?: Logger): void {
  userLogger = logger;
  userChildren.clear();
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
