/**
 * The web API's address setting: `"host:port"`, `{ host, port }` or null (disabled), checked and
 * normalised before anything starts.
 */
import { isIP } from 'node:net';

export interface ApiAddress {
  host: string;
  /** 0 asks the system for a free port. */
  port: number;
}

export type ApiAddressLike = string | { host: string; port: number } | null;

export const DEFAULT_WEB_API_ADDRESS = 'localhost:8391';

/** Environment variable read for the bearer token when the config gives none. */
export const TOKEN_ENV = 'PAMIQ_API_TOKEN';

/**
 * Parses an address setting.
 * @throws RangeError naming what was expected for a malformed address or a port outside 0..65535.
 */
export function parseApiAddress(value: ApiAddressLike): ApiAddress | null {
  if (value === null) return null;
  let host: unknown;
  let port: unknown;
  if (typeof value === 'string') {
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value.trim());
    if (!m) throw new RangeError(`webApiAddress must look like 'host:port' (IPv6 as '[::1]:port'), got '${value}'`);
    host = m[1] ?? m[2];
    port = Number(m[3]);
  } else if (typeof value === 'object') {
    host = value.host;
    port = value.port;
  } else {
    throw new RangeError(`webApiAddress must be 'host:port', { host, port } or null, got ${typeof value}`);
  }
  if (typeof host !== 'string' || host.length === 0) throw new RangeError('webApiAddress needs a non-empty host');
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`webApiAddress port must be an integer in 0..65535, got ${String(port)}`);
  }
  return { host, port };
}

/** True for `localhost` and the loopback ranges 127.0.0.0/8 and ::1. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || h.startsWith('::ffff:127.');
  return false;
}

/** `host:port` for messages and URLs (IPv6 in brackets). */
export function formatAddress(a: ApiAddress): string {
  return isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** Environment variable that replaces the default address (`off` disables the API). */
export const ADDRESS_ENV = 'PAMIQ_WEB_API_ADDRESS';

/** The default address: `PAMIQ_WEB_API_ADDRESS` when set (`off`/`none`/`null`: disabled), else `localhost:8391`. */
export function defaultApiAddress(): ApiAddressLike {
  const env = process.env[ADDRESS_ENV]?.trim();
  if (env === undefined || env === '') return DEFAULT_WEB_API_ADDRESS;
  return ['off', 'none', 'null'].includes(env.toLowerCase()) ? null : env;
}
