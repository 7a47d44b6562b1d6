/**
 * RemoteConfig: where states are also kept, an S3-compatible bucket, and how uploads retry.
 * (No SDK import here: a launch without a remote never loads the S3 client.)
 */

export interface RemoteCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface RemoteConfig {
  /** Bucket name (must exist; it is never created). */
  bucket: string;
  /** Key prefix under which states live, e.g. `"agents/robot-1"`. Default: the bucket root. */
  prefix?: string;
  /** Endpoint URL of an S3-compatible server, e.g. `"http://127.0.0.1:7070"`. Default: AWS S3. */
  endpoint?: string;
  /** Region. Default: the standard AWS chain (AWS_REGION, shared config), else `"us-east-1"`. */
  region?: string;
  /** Explicit credentials. Default: the standard AWS chain (env, shared config/credentials, SSO, IMDS). */
  credentials?: RemoteCredentials;
  /** Path-style addressing (`endpoint/bucket/key`). Default: true when `endpoint` is set. */
  forcePathStyle?: boolean;
  /** Remote states to keep (≥ 1). Default: the LatestStatesKeeper's maxKeep, else keep all. */
  maxKeep?: number;
  /** Multipart part size in bytes (≥ 5 MiB). Default 16 MiB. */
  partSize?: number;
  /** Parts (and files) in flight at once. Default 8. */
  concurrency?: number;
  /** First retry delay of a failed upload in ms; doubles per failure up to `retryMaxMs`. Default 1000. */
  retryInitialMs?: number;
  /** Longest retry delay in ms. Default 60000. */
  retryMaxMs?: number;
  /** Seconds a shutdown waits for pending uploads before leaving them for the next launch. Default 60. */
  shutdownWaitSeconds?: number;
}

export type ResolvedRemoteConfig = Readonly<
  Required<Omit<RemoteConfig, 'endpoint' | 'region' | 'credentials' | 'maxKeep'>> &
    Pick<RemoteConfig, 'endpoint' | 'region' | 'credentials' | 'maxKeep'>
>;

const MIN_PART = 5 * 1024 * 1024;
const KNOWN = [
  'bucket',
  'prefix',
  'endpoint',
  'region',
  'credentials',
  'forcePathStyle',
  'maxKeep',
  'partSize',
  'concurrency',
  'retryInitialMs',
  'retryMaxMs',
  'shutdownWaitSeconds',
];

/**
 * Checks a remote configuration and fills its defaults.
 * @returns the resolved config, or the list of problems (each names the field and what was expected).
 */
export function checkRemoteConfig(input: unknown): { config?: ResolvedRemoteConfig; problems: string[] } {
  const problems: string[] = [];
  if (typeof input !== 'object' || input === null)
    return { problems: ['remote must be an object with at least a bucket'] };
  const c = input as RemoteConfig;
  const unknown = Object.keys(c).filter((k) => !KNOWN.includes(k));
  if (unknown.length)
    problems.push(`remote: unknown field(s) ${unknown.join(', ')}; known fields: ${KNOWN.join(', ')}`);
  if (typeof c.bucket !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(c.bucket)) {
    problems.push(`remote.bucket must be a bucket name (3-63 of a-z 0-9 . -), got ${JSON.stringify(c.bucket)}`);
  }
  const prefix = c.prefix ?? '';
  if (
    typeof prefix !== 'string' ||
    prefix.startsWith('/') ||
    prefix.split('/').some((s, i, a) => s === '..' || (s === '' && i < a.length - 1))
  ) {
    problems.push(
      `remote.prefix must be a relative key prefix like "a/b" (no leading '/', no '..', no '//'), got ${JSON.stringify(c.prefix)}`,
    );
  }
  if (c.endpoint !== undefined) {
    try {
      const u = new URL(c.endpoint);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    } catch {
      problems.push(`remote.endpoint must be an http(s) URL, got ${JSON.stringify(c.endpoint)}`);
    }
  }
  if (c.region !== undefined && (typeof c.region !== 'string' || c.region === ''))
    problems.push('remote.region must be a non-empty string');
  if (c.credentials !== undefined) {
    const k = c.credentials;
    if (
      typeof k !== 'object' ||
      k === null ||
      typeof k.accessKeyId !== 'string' ||
      typeof k.secretAccessKey !== 'string' ||
      !k.accessKeyId ||
      !k.secretAccessKey
    ) {
      problems.push(
        'remote.credentials must be { accessKeyId, secretAccessKey, sessionToken? } with non-empty strings',
      );
    }
  }
  const int = (name: keyof RemoteConfig, v: unknown, min: number) => {
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < min))
      problems.push(`remote.${name} must be an integer ≥ ${min}, got ${String(v)}`);
  };
  int('maxKeep', c.maxKeep, 1);
  int('partSize', c.partSize, MIN_PART);
  int('concurrency', c.concurrency, 1);
  int('retryInitialMs', c.retryInitialMs, 1);
  int('retryMaxMs', c.retryMaxMs, 1);
  if (
    c.shutdownWaitSeconds !== undefined &&
    (typeof c.shutdownWaitSeconds !== 'number' || !(c.shutdownWaitSeconds >= 0))
  ) {
    problems.push(`remote.shutdownWaitSeconds must be a number ≥ 0, got ${String(c.shutdownWaitSeconds)}`);
  }
  if (c.forcePathStyle !== undefined && typeof c.forcePathStyle !== 'boolean')
    problems.push('remote.forcePathStyle must be a boolean');
  if (problems.length) return { problems };
  return {
    problems,
    config: Object.freeze({
      bucket: c.bucket,
      prefix: prefix.replace(/\/+$/, ''),
      endpoint: c.endpoint,
      region: c.region,
      credentials: c.credentials,
      forcePathStyle: c.forcePathStyle ?? c.endpoint !== undefined,
      maxKeep: c.maxKeep,
      partSize: c.partSize ?? 16 * 1024 * 1024,
      concurrency: c.concurrency ?? 8,
      retryInitialMs: c.retryInitialMs ?? 1000,
      retryMaxMs: c.retryMaxMs ?? 60_000,
      shutdownWaitSeconds: c.shutdownWaitSeconds ?? 60,
    }),
  };
}

/**
 * {@link checkRemoteConfig} that throws.
 * @throws RangeError listing every problem.
 */
export function resolveRemoteConfig(input: RemoteConfig): ResolvedRemoteConfig {
  const { config, problems } = checkRemoteConfig(input);
  if (!config) throw new RangeError(`Invalid remote config:\n  ${problems.join('\n  ')}`);
  return config;
}
