/**
 * State directory names: strftime-style formats evaluated in UTC, and the creation clock.
 */
import { compileGlob } from '../backend/glob.js';

/** PAMIQ-Core's default format, in UTC: `2025-02-27_12-00-00,000000.state`. */
export const DEFAULT_STATE_NAME_FORMAT = '%Y-%m-%d_%H-%M-%S,%f.state';
export const DEFAULT_STATE_NAME_PATTERN = '*.state';

const pad = (n: number | bigint, width: number) => String(n).padStart(width, '0');

/**
 * Formats a state name. Tokens: %Y %m %d %H %M %S (UTC), %f (microseconds, 6 digits), %% (a percent sign).
 * @throws RangeError for an unknown token, or a result that is empty, contains a path separator or starts with '.'.
 */
export function formatStateName(format: string, createdAtNs: bigint): string {
  const ms = Number(createdAtNs / 1_000_000n);
  const d = new Date(ms);
  const micros = (createdAtNs / 1000n) % 1_000_000n;
  const name = format.replace(/%(.)/g, (_m, t: string) => {
    switch (t) {
      case 'Y':
        return pad(d.getUTCFullYear(), 4);
      case 'm':
        return pad(d.getUTCMonth() + 1, 2);
      case 'd':
        return pad(d.getUTCDate(), 2);
      case 'H':
        return pad(d.getUTCHours(), 2);
      case 'M':
        return pad(d.getUTCMinutes(), 2);
      case 'S':
        return pad(d.getUTCSeconds(), 2);
      case 'f':
        return pad(micros, 6);
      case '%':
        return '%';
      default:
        throw new RangeError(`stateNameFormat "${format}": unknown token %${t} (expected %Y %m %d %H %M %S %f %%)`);
    }
  });
  if (!name || /[/\\]/.test(name) || name.startsWith('.')) {
    throw new RangeError(
      `stateNameFormat "${format}" gives "${name}": a state name must be one non-empty path segment not starting with '.'`,
    );
  }
  return name;
}

/**
 * The test of the keeper glob `pattern` (as the engine's scans match it), compiled once: true for a name
 * that matches and does not start with `.`.
 * @throws EngineError EINVAL for a pattern the engine refuses.
 */
export function nameMatcher(pattern: string): (name: string) => boolean {
  const matches = compileGlob(pattern);
  return (name) => !name.startsWith('.') && matches(name);
}

let lastNs = 0n;

/**
 * Wall-clock UTC nanoseconds, strictly increasing within the process so that two saves never share
 * a creation time (the name may still collide; the commit then adds a suffix).
 */
export function nowNs(): bigint {
  const ns = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
  lastNs = ns > lastNs ? ns : lastNs + 1000n;
  return lastNs;
}
