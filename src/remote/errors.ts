/**
 * Errors of the remote store, and one-line descriptions of S3 failures that say what to fix.
 */

/** A remote operation failed; `message` says which state and why, `cause` is the S3 error. */
export class RemoteError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RemoteError';
  }
}

/** A downloaded state did not verify (size or XXH3 against its manifest); nothing was committed locally. */
export class RemoteStateCorruptError extends RemoteError {
  constructor(
    readonly stateName: string,
    readonly problems: { path: string; fault: string; detail: string }[],
  ) {
    super(
      `Remote state '${stateName}' is corrupt: ${problems.map((p) => `${p.path}: ${p.fault} (${p.detail})`).join('; ')}`,
    );
    this.name = 'RemoteStateCorruptError';
  }
}

/** No remote state has that name (no commit marker). */
export class RemoteStateNotFoundError extends RemoteError {
  constructor(
    readonly stateName: string,
    where: string,
  ) {
    super(`No state '${stateName}' in ${where}`);
    this.name = 'RemoteStateNotFoundError';
  }
}

interface S3ErrorLike {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

/** The S3 error code or Node error code of `err` (through causes), e.g. `NoSuchBucket`, `ECONNREFUSED`. */
export function errorCode(err: unknown): string | undefined {
  for (let cur = err as S3ErrorLike | undefined, i = 0; cur && i < 5; cur = cur.cause as S3ErrorLike, i++) {
    const code = cur.Code ?? (typeof cur.code === 'string' ? cur.code : undefined);
    if (code) return code;
    if (cur.name && cur.name !== 'Error' && cur.name !== 'RemoteError') return cur.name;
  }
  return undefined;
}

export function httpStatus(err: unknown): number | undefined {
  return (err as S3ErrorLike | undefined)?.$metadata?.httpStatusCode;
}

/** One line saying what went wrong with the remote, in terms a user can act on. */
export function describeRemoteError(err: unknown, where: string): string {
  const code = errorCode(err) ?? '';
  const status = httpStatus(err);
  const msg = err instanceof Error ? err.message : String(err);
  if (
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'EPIPE',
      'ETIMEDOUT',
      'EHOSTUNREACH',
      'ENOTFOUND',
      'TimeoutError',
      'socket hang up',
    ].includes(code) ||
    /ECONNREFUSED|ECONNRESET|socket hang up/.test(msg)
  ) {
    return `remote ${where} is unreachable (${code || msg})`;
  }
  if (code === 'NoSuchBucket') return `bucket of ${where} does not exist (NoSuchBucket); create it first`;
  if (
    [
      'InvalidAccessKeyId',
      'SignatureDoesNotMatch',
      'AccessDenied',
      'ExpiredToken',
      'InvalidToken',
      'CredentialsProviderError',
    ].includes(code)
  ) {
    return `credentials rejected by ${where} (${code}): check the access key, secret and permissions`;
  }
  if (
    ['EntityTooLarge', 'QuotaExceeded', 'InsufficientStorage', 'XMinioStorageFull', 'ENOSPC'].includes(code) ||
    status === 507 ||
    /no space|storage full|quota/i.test(msg)
  ) {
    return `remote ${where} is full (${code || status}): ${msg}`;
  }
  return `${where}: ${code ? `${code}${status ? ` (HTTP ${status})` : ''}: ` : ''}${msg}`;
}
