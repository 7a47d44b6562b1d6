/**
 * Backend selection, in one place: the platform package or a locally built `.node` (both found by the
 * generated loader `index.js`), else the TypeScript twin. `PAMIQ_BACKEND=native|ts` forces one.
 *
 * Selection is synchronous (no top-level await), so that `require('pamiq-core')` works.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { BackendName, Engine } from './types.js';
import { tsEngine } from './ts/index.js';
import { currentPlatform, nativeInstallAdvice, platformSuffix } from './advice.js';
import { createNativeEngine, type NativeBinding } from './native.js';

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

/**
 * The binding, through the generated loader (an ES module without top-level await, which `require`
 * loads on Node ≥ 20.19 and ≥ 22.12). A Node without `require(esm)` gets the loader's two usual places
 * directly: the locally built `pamiq-core.<platform>.node` beside package.json, then the platform package.
 */
function requireBinding(): NativeBinding {
  const require = createRequire(import.meta.url);
  try {
    return require('../../index.js') as NativeBinding;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_ESM') throw err;
    const suffix = platformSuffix(currentPlatform());
    try {
      return require(fileURLToPath(new URL(`../../pamiq-core.${suffix}.node`, import.meta.url))) as NativeBinding;
    } catch (local) {
      try {
        return require(`pamiq-core-${suffix}`) as NativeBinding;
      } catch (pkg) {
        throw new Error('Cannot load native binding', { cause: new AggregateCause(local, pkg) });
      }
    }
  }
}

/** Chains two load failures as error → cause, the shape {@link describeLoadError} reads. */
class AggregateCause extends Error {
  constructor(first: unknown, second: unknown) {
    super(first instanceof Error ? first.message : String(first), { cause: second });
  }
}

function loadNative(): { engine?: Engine; error?: string } {
  try {
    return { engine: createNativeEngine(requireBinding()) };
  } catch (err) {
    return { error: describeLoadError(err) };
  }
}

const requested = process.env.PAMIQ_BACKEND?.trim() || undefined;
if (requested !== undefined && requested !== 'native' && requested !== 'ts') {
  throw new Error(`PAMIQ_BACKEND must be "native" or "ts" (or unset), got "${requested}"`);
}

const native = requested === 'ts' ? { error: 'not loaded: PAMIQ_BACKEND=ts' } : loadNative();

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
