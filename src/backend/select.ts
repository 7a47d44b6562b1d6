/**
 * Backend selection, in one place: the platform package or a locally built `.node` (both found by the
 * generated loader `index.js`), else the TypeScript twin. `PAMIQ_BACKEND=native|ts` forces one.
 */
import type { BackendName, Engine } from './types.js';
import { tsEngine } from './ts/index.js';
import { nativeInstallAdvice } from './advice.js';

export interface BackendInfo {
  /** The active backend. */
  name: BackendName;
  /** True when PAMIQ_BACKEND chose it. */
  forced: boolean;
  /** Why the native backend did not load (absent when it loaded). */
  nativeUnavailable?: string;
}

/**
 * Turns the loader's error and its `cause` chain (one cause per place it looked) into one line that
 * says what is missing and how to get it, keeping every cause's first line.
 */
export function describeLoadError(err: unknown): string {
  const causes: string[] = [];
  const seen = new Set<unknown>();
  for (let cur: unknown = err; cur && !seen.has(cur) && causes.length < 12; ) {
    seen.add(cur);
    causes.push((cur instanceof Error ? cur.message : String(cur)).split('\n')[0]!);
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  const notFound = causes.filter((c) => c.startsWith('Cannot find module'));
  if (notFound.length > 0 && notFound.length === causes.length - 1) {
    const looked = notFound.map((c) => c.replace(/^Cannot find module /, '')).join(', ');
    return (
      `no native binary for ${process.platform}-${process.arch} (looked for ${looked}); ` +
      `the TypeScript twin is used. For the native engine, ${nativeInstallAdvice()}`
    );
  }
  return causes.join(' <- ');
}

async function loadNative(): Promise<{ engine?: Engine; error?: string }> {
  try {
    const binding = await import('../../index.js');
    const { createNativeEngine } = await import('./native.js');
    return { engine: createNativeEngine(binding) };
  } catch (err) {
    return { error: describeLoadError(err) };
  }
}

const requested = process.env.PAMIQ_BACKEND?.trim() || undefined;
if (requested !== undefined && requested !== 'native' && requested !== 'ts') {
  throw new Error(`PAMIQ_BACKEND must be "native" or "ts" (or unset), got "${requested}"`);
}

const native = requested === 'ts' ? { error: 'not loaded: PAMIQ_BACKEND=ts' } : await loadNative();

if (requested === 'native' && !native.engine) {
  throw new Error(`PAMIQ_BACKEND=native, but the native backend could not be loaded: ${native.error}`);
}

const active: Engine = native.engine ?? tsEngine;
const info: BackendInfo = {
  name: active.name,
  forced: requested !== undefined,
  ...(native.engine ? {} : { nativeUnavailable: native.error }),
};

/** The engine every part of the framework calls. */
export function engine(): Engine {
  return active;
}

/** Which backend is active, whether it was forced, and why native is not (when it is not). */
export function backend(): BackendInfo {
  return { ...info };
}

/** The native engine when it loaded, for parity specs and benchmarks that run both side by side. */
export function nativeEngine(): Engine | undefined {
  return native.engine;
}

/** The TypeScript twin, always available. */
export function typescriptEngine(): Engine {
  return tsEngine;
}
