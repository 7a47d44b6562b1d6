/**
 * The S3 client of a remote.
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { ResolvedRemoteConfig } from './config.js';

/** An S3 client for the config. One SDK attempt per call: retries with backoff are the uploader's job. */
export function createS3Client(config: ResolvedRemoteConfig, overrides: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    endpoint: config.endpoint,
    region: config.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    credentials: config.credentials,
    forcePathStyle: config.forcePathStyle,
    maxAttempts: 2,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...overrides,
  });
}
