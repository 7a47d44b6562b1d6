/**
 * `pamiq-core/remote`: states beyond one machine — the configuration of `launch({ config: { remote } })`,
 * the S3 store and its sync, and the errors they report.
 */
export {
  type RemoteConfig,
  type RemoteCredentials,
  type ResolvedRemoteConfig,
  resolveRemoteConfig,
  checkRemoteConfig,
} from './config.js';
export { createS3Client } from './client.js';
export { RemoteError, RemoteStateCorruptError, RemoteStateNotFoundError, describeRemoteError } from './errors.js';
export { RemoteStore, type RemoteStateEntry, type RemoteListing, type PushResult } from './store.js';
export { RemoteSync, type RemoteSyncOptions, type UploadRecord } from './sync.js';
