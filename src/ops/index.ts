/**
 * `pamiq-core/ops`. Operations of a running system: the web API (PAMIQ-Core's control endpoints and more), its command
 * queue, `/api/info`, `/api/states` and Prometheus `/metrics`. {@link startOperations} is the one call
 * that wires them to a system; launch() makes it once the control loop exists and closes the result
 * after the final save.
 */
import { backend } from '../backend/select.js';
import { getLogger } from '../log.js';
import { DEFAULT_STATE_NAME_PATTERN } from '../state/names.js';
import { scanStates } from '../state/scan.js';
import * as clock from '../time/index.js';
import { VERSION } from '../version.js';
import { formatAddress, isLoopback, type ApiAddress } from './address.js';
import { CommandQueue, type CommandTarget } from './commands.js';
import { NO_OBSERVER, fanOut, type OpsObserver } from './observer.js';
import { InfoRecorder, type ThreadInfo } from './recorder.js';
import { type SystemStatus, deriveStatus, statusName } from './status.js';

export { SystemStatus, statusName } from './status.js';
export type { OpsObserver, SaveReport, SavePhase } from './observer.js';
export type { ThreadInfo, TrainerInfo, SavesInfo, SaveInfo, Stats } from './recorder.js';
export { parseApiAddress, type ApiAddress, type ApiAddressLike } from './address.js';
export { WebApiClient, type ClientOptions, type Command, type Answer } from './client.js';

const log = getLogger('ops');

/** Milliseconds the server waits for open connections at close before cutting them. */
const CLOSE_GRACE_MS = 2000;

/** The system the operations act on (launch's SystemControl, plus whether it is shutting down). */
export interface OperatedSystem extends CommandTarget {
  readonly paused: boolean;
  readonly shuttingDown?: boolean;
}

/** What launch() knows that the operations layer reports in `/api/info`. */
export interface InfoExtra {
  /** Loops whose statistics are kept elsewhere (e.g. a worker); listed after the ones seen here. */
  threads?: ThreadInfo[];
  [key: string]: unknown;
}

export interface OperationsOptions {
  config: {
    webApiAddress: ApiAddress | null;
    webApiCommandQueueSize: number;
    webApiToken?: string | undefined;
    statesDir: string;
  };
  system: OperatedSystem;
  /** Extra fields of `/api/info` (statesDir, loaded state, worker threads, …), read per request. */
  info?: () => InfoExtra;
  /** The state name pattern `/api/states` scans for. Default `*.state`. */
  statesPattern?: string;
}

export interface Operations {
  /** Feed loop steps, training runs, saves, removals and buffer sizes here. */
  readonly observer: OpsObserver;
  /** `http://host:port` the API listens on; undefined when disabled or the bind failed. */
  readonly url: string | undefined;
  /** The bound port (useful with port 0). */
  readonly port: number | undefined;
  /** The current status (also when the API is disabled). */
  status(): SystemStatus;
  /** The `/api/info` document. */
  info(): Record<string, unknown>;
  /** Stops accepting commands and closes the server (waits for open requests). Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the operations layer for `system`. With `webApiAddress: null` nothing listens and the
 * observer ignores everything. A bind failure (e.g. the port is taken by another system) is logged
 * as an error and the system runs on without the API.
 */
export async function startOperations(opts: OperationsOptions): Promise<Operations> {
  const { config, system } = opts;
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const queue = new CommandQueue(config.webApiCommandQueueSize, system);
  const status = () =>
    deriveStatus({
      shuttingDown: queue.isClosed || system.shuttingDown === true,
      paused: system.paused,
      pausing: queue.inProgress === 'pause',
      resuming: queue.inProgress === 'resume',
    });

  if (config.webApiAddress === null) {
    return {
      observer: NO_OBSERVER,
      url: undefined,
      port: undefined,
      status,
      info: () => ({ status: status(), statusName: statusName(status()) }),
      close: async () => queue.close('The system is shutting down'),
    };
  }

  const recorder = new InfoRecorder();
  const { PromMetrics } = await import('./metrics.js');
  const metrics = new PromMetrics({
    status,
    uptime: () => (performance.now() - started) / 1000,
    stepRates: () => Object.fromEntries(threads().map((t) => [t.name, t.stepRate])),
  });
  const observer = fanOut([recorder, metrics]);

  const threads = (): ThreadInfo[] => {
    const own = recorder.threads();
    const extra = opts.info?.().threads ?? [];
    return [...own.filter((t) => !extra.some((e) => e.name === t.name)), ...extra];
  };

  const info = (): Record<string, unknown> => {
    const { threads: _t, ...extra } = opts.info?.() ?? {};
    const s = status();
    return {
      version: VERSION,
      backend: backend().name,
      pid: process.pid,
      startedAt,
      uptimeSec: (performance.now() - started) / 1000,
      status: s,
      statusName: statusName(s),
      pamiqTime: clock.time(),
      timeScale: clock.getTimeScale(),
      statesDir: config.statesDir,
      ...extra,
      threads: threads(),
      trainers: recorder.trainerRuns(),
      buffers: recorder.bufferSizes(),
      saves: recorder.saves(),
      keeperRemovals: recorder.keeperRemovals,
      commandQueue: { size: queue.size, capacity: queue.capacity, inProgress: queue.inProgress ?? null },
    };
  };

  const pattern = opts.statesPattern ?? DEFAULT_STATE_NAME_PATTERN;
  const states = async () => {
    const { entries, leftovers } = await scanStates(config.statesDir, pattern);
    return {
      statesDir: config.statesDir,
      states: entries.map((e) => ({
        name: e.name,
        path: e.path,
        created:
          e.createdAtNs === undefined ? null : new Date(Number(BigInt(e.createdAtNs) / 1_000_000n)).toISOString(),
        size: e.size ?? null,
        files: e.fileCount ?? null,
        valid: e.valid,
        reason: e.reason ?? null,
      })),
      leftovers,
    };
  };

  const { buildApi } = await import('./server.js');
  const app = buildApi({
    queue,
    status,
    info,
    states,
    metrics: async () => ({ contentType: metrics.contentType, text: await metrics.text() }),
    token: config.webApiToken,
  });

  const where = formatAddress(config.webApiAddress);
  let url: string | undefined;
  let port: number | undefined;
  try {
    await app.listen({ host: config.webApiAddress.host, port: config.webApiAddress.port });
    const addr = app.server.address();
    port = typeof addr === 'object' && addr ? addr.port : config.webApiAddress.port;
    url = `http://${formatAddress({ host: config.webApiAddress.host, port })}`;
    const guard = config.webApiToken !== undefined ? 'bearer token required' : 'no token';
    log.info(`Web API listening on ${url} (${guard}); try \`pamiq console --port ${port}\``);
    if (!isLoopback(config.webApiAddress.host)) {
      log.warn(`The web API is reachable from other hosts on ${where}; every request must carry the bearer token.`);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the address is in use (another system running?)' : (err as Error).message;
    log.error(
      `The web API could not listen on ${where}: ${why}. The system runs on without it (set webApiAddress to another port, or null).`,
    );
    await app.close().catch(() => undefined);
  }

  let closing: Promise<void> | undefined;
  return {
    observer,
    url,
    port,
    status,
    info,
    close() {
      closing ??= (async () => {
        queue.close('The system is shutting down');
        if (url === undefined) return;
        // Open requests are answered by now (commands were settled by the final save or the queue's
        // close); a client still sending half a request is cut off after a short grace.
        const closed = app.close();
        const cutoff = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
        try {
          await closed;
        } finally {
          clearTimeout(cutoff);
        }
      })();
      return closing;
    },
  };
}
