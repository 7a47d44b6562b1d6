export { type RemoteConfig, type RemoteCredentials, type ResolvedRemoteConfig, resolveRemoteConfig, checkRemoteConfig } from './config.js';
export { createS3Client } from './client.js';
export { RemoteError, RemoteStateCorruptError, RemoteStateNotFoundError, describeRemoteError } from './errors.js';
export { RemoteStore, suffixedName, type RemoteStateEntry, type RemoteListing, type PushResult, type RemoteStoreHooks } from './store.js';
export { RemoteSync, type RemoteSyncOptions, type UploadRecord } from './sync.js';
export { openLaunchRemote, latestWithRemote, type LaunchRemote } from './launch.js';
