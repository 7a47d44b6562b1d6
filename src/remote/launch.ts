/**
 * How launch() uses a remote: open it (uploads of earlier unconfirmed states start, the keeper is
 * told not to remove a state before its upload is confirmed), resolve `"latest"` against it, hand it
 * every committed state, and close it at shutdown.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getLogger } from '../log.js';
import type { StatesKeeper } from '../state/keeper.js';
import { LatestStatesKeeper } from '../state/keeper.js';
import { latestState } from '../state/scan.js';
import type { ResolvedRemoteConfig } from './config.js';
import { RemoteStore, type RemoteStoreHooks } from './store.js';
import { RemoteSync } from './sync.js';

const log = getLogger('remote');

export interface LaunchRemote {
  readonly store: RemoteStore;
  readonly sync: RemoteSync;
  /** Queues a committed state for upload (never throws, never waits for the network). */
  afterCommit(path: string): void;
  /** The newest valid state, local or remote (a newer remote one is downloaded and verified first). */
  resolveLatest(statesDir: string, pattern: string): Promise<string | undefined>;
  /** Waits for pending uploads up to `shutdownWaitSeconds`, then stops and releases the keeper's guard. */
  close(): Promise<void>;
}

/**
 * Opens the remote of a launch: a RemoteStore and its RemoteSync, wired to the keeper's removal guard;
 * queues the valid local states of `statesDir` (only those not on the remote yet are uploaded).
 */
export async function openLaunchRemote(
  config: ResolvedRemoteConfig,
  statesDir: string,
  keeper: StatesKeeper | undefined,
  pattern: string,
  hooks?: RemoteStoreHooks,
): Promise<LaunchRemote> {
  const store = new RemoteStore(config, { hooks });
  const maxKeep = config.maxKeep ?? (keeper instanceof LatestStatesKeeper ? keeper.maxKeep : undefined);
  const sync = new RemoteSync(store, { maxKeep, retryInitialMs: config.retryInitialMs, retryMaxMs: config.retryMaxMs });
  keeper?.setRemovalGuard((path) => sync.isRemovable(path));
  log.info(`States are also kept in ${store.where}${maxKeep ? ` (the ${maxKeep} newest)` : ''}`);
  await sync.enqueueExisting(statesDir, pattern);
  return {
    store,
    sync,
    afterCommit: (path) => sync.enqueue(path),
    resolveLatest: (dir, pat) => latestWithRemote(store, dir, pat, sync),
    close: async () => {
      await sync.close(config.shutdownWaitSeconds * 1000);
      keeper?.setRemovalGuard(undefined);
      store.client.destroy();
    },
  };
}

/**
 * The newest valid state of `statesDir` or of the remote, whichever is newer (manifest creation time).
 * A newer remote state is downloaded into `statesDir` and verified before it is returned; one that
 * fails is skipped with a warning for the next older. An unreachable remote falls back to the local
 * states with a warning.
 */
export async function latestWithRemote(
  store: RemoteStore,
  statesDir: string,
  pattern: string,
  sync?: RemoteSync,
): Promise<string | undefined> {
  const local = await latestState(statesDir, pattern);
  let localCreated = -1n;
  if (local) {
    localCreated = BigInt(
      (JSON.parse(await readFile(join(local, 'manifest.json'), 'utf8')) as { createdAtNs: string }).createdAtNs,
    );
  }
  let remote;
  try {
    remote = (await store.list(pattern)).states;
  } catch (err) {
    log.warn(`Cannot read the remote states, resolving 'latest' locally: ${(err as Error).message}`);
    return local;
  }
  for (const entry of [...remote].reverse()) {
    if (BigInt(entry.createdAtNs) <= localCreated) break;
    try {
      const path = await store.pull(entry.name, statesDir);
      sync?.markConfirmed(path, entry.name);
      return path;
    } catch (err) {
      log.warn(`Skipping remote state '${entry.name}': ${(err as Error).message}`);
    }
  }
  return local;
}
