/**
 * A client of the web API (fetch), used by `pamiq console` and `pamiq ctl`. Like PAMIQ-Core's
 * WebApiClient, {@link WebApiClient.getStatus} reports OFFLINE when the system cannot be reached; the
 * command methods return the server's answer with its HTTP status so callers can tell a refusal
 * (queue full, shutting down, bad token) from a failure.
 */
import { SystemStatus, statusFromValue } from './status.js';

export interface ClientOptions {
  host?: string;
  port?: number;
  /** Bearer token (sent as `Authorization: Bearer …`). */
  token?: string;
  /** Milliseconds before a request without `wait` gives up. Default 5000. */
  timeoutMs?: number;
}

export type Command = 'pause' | 'resume' | 'save-state' | 'shutdown';

/** The answer to a request: `status` 0 means the system could not be reached. */
export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T | undefined;
  /** Network error message when `status` is 0. */
  error?: string;
}

export class WebApiClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(opts: ClientOptions = {}) {
    const host = opts.host ?? 'localhost';
    const port = opts.port ?? 8391;
    this.baseUrl = `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
    this.token = opts.token;
    this.timeoutMs = opts.timeoutMs ?? 5000;
  }

  /** One request; never throws (an unreachable system gives status 0). */
  async request<T = Record<string, unknown>>(method: 'GET' | 'POST', path: string, wait = false): Promise<Answer<T>> {
    const headers: Record<string, string> = {};
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    try {
      const res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        // A waited-for save or pause may take as long as it takes.
        signal: wait ? undefined : AbortSignal.timeout(this.timeoutMs),
      });
      const text = await res.text();
      let body: T | undefined;
      try {
        body = JSON.parse(text) as T;
      } catch {
        body = undefined;
      }
      return { status: res.status, body };
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return { status: 0, body: undefined, error: cause?.code ?? cause?.message ?? (err as Error).message };
    }
  }

  /** The system's status; OFFLINE when it cannot be reached or answers with an error. */
  async getStatus(): Promise<SystemStatus> {
    const a = await this.request<{ status?: unknown }>('GET', '/api/status');
    if (a.status !== 200) return SystemStatus.OFFLINE;
    return statusFromValue(a.body?.status) ?? SystemStatus.OFFLINE;
  }

  /** Sends a command; with `wait`, the answer comes once it was carried out (saves: with the path). */
  command(command: Command, wait = false): Promise<Answer<{ result?: string; path?: string; error?: string }>> {
    return this.request('POST', `/api/${command}${wait ? '?wait=1' : ''}`, wait);
  }

  /** The result string of a command (`ok`), or undefined when it failed (as PAMIQ-Core's client). */
  async send(command: Command): Promise<string | undefined> {
    const a = await this.command(command);
    return a.status === 200 ? a.body?.result : undefined;
  }

  info(): Promise<Answer> {
    return this.request('GET', '/api/info');
  }
}
