/** Types of scripts/s3-server.mjs (a plain Node script, also imported by specs and benchmarks). */
export const VERSITYGW_VERSION: string;
export const CACHE_DIR: string;
export function goBinary(): string | undefined;
export function goAvailable(): boolean;
export function ensureVersitygw(): Promise<string>;
export interface S3ServerHandle {
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly dataDir: string;
  readonly pid: number | undefined;
  readonly running: boolean;
  start(): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<void>;
  kill(): Promise<void>;
  dispose(): Promise<void>;
}
export function startS3Server(options?: { dataDir?: string; port?: number }): Promise<S3ServerHandle>;
