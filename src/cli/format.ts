/** Formatting of the CLI's columns; never throws, whatever a manifest holds. */

/**
 * A manifest creation time (UTC nanoseconds, decimal string) as an ISO date with microseconds, e.g.
 * `2025-11-25T12:01:35.123456Z`; a time outside the dates JavaScript can show (about ±275,000 years)
 * or a malformed one is shown as `<ns> ns (out of date range)` / `<text> (not a time)`, so one bad
 * manifest never stops a listing.
 */
export function formatNs(ns: string | undefined): string {
  if (!ns) return '-';
  let micros: bigint;
  try {
    micros = BigInt(ns) / 1000n;
  } catch {
    return `${ns} (not a time)`;
  }
  const date = new Date(Number(micros / 1000n));
  if (Number.isNaN(date.getTime())) return `${ns} ns (out of date range)`;
  const sub = String(((micros % 1000n) + 1000n) % 1000n).padStart(3, '0');
  return date.toISOString().replace(/\.(\d{3})Z$/, (_m, ms: string) => `.${ms}${sub}Z`);
}
