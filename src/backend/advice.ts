/**
 * What to do when no native binary loads: the name of the platform package that carries the binary for
 * this platform (as napi-rs names them), whether one is published, and how to build from a checkout.
 */
import { readFileSync } from 'node:fs';

/** The platform, architecture and C library a native binary is built for. */
export interface PlatformTriple {
  platform: NodeJS.Platform;
  arch: string;
  /** Linux only: the C library (`gnu` = glibc, `musl` = Alpine and the like). */
  libc?: 'gnu' | 'musl';
}

/** This process's platform; on Linux the C library is read from the process report (no glibc → musl). */
export function currentPlatform(): PlatformTriple {
  if (process.platform !== 'linux') return { platform: process.platform, arch: process.arch };
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return { platform: 'linux', arch: process.arch, libc: header?.glibcVersionRuntime ? 'gnu' : 'musl' };
}

/** The napi-rs platform suffix: `linux-x64-gnu`, `linux-arm64-musl`, `darwin-arm64`, `win32-x64-msvc`, … */
export function platformSuffix(p: PlatformTriple): string {
  if (p.platform === 'linux') return `linux-${p.arch}-${p.libc ?? 'gnu'}`;
  if (p.platform === 'win32') return `win32-${p.arch}-msvc`;
  return `${p.platform}-${p.arch}`;
}

/** The platform packages this version publishes (from package.json's `napi.targets`, as suffixes). */
export function publishedSuffixes(): string[] {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    napi?: { targets?: string[] };
  };
  const arch: Record<string, string> = { x86_64: 'x64', aarch64: 'arm64', i686: 'ia32', armv7: 'arm' };
  return (pkg.napi?.targets ?? []).flatMap((target) => {
    // <arch>-<vendor>-<os>[-<abi>]: x86_64-unknown-linux-gnu, aarch64-apple-darwin, x86_64-pc-windows-msvc
    const [a, , sys, abi] = target.split('-');
    const platform = (sys === 'windows' ? 'win32' : sys) as NodeJS.Platform;
    if (!a || !arch[a]) return [];
    return [platformSuffix({ platform, arch: arch[a], ...(abi === 'musl' ? { libc: 'musl' as const } : {}) })];
  });
}

/**
 * One sentence for the missing-binary message: the platform package to install when one is published
 * for `p`, and in every case how to build the binary from a checkout of pamiq-core.
 */
export function nativeInstallAdvice(p: PlatformTriple = currentPlatform(), published = publishedSuffixes()): string {
  const suffix = platformSuffix(p);
  const fromCheckout =
    'build it from a checkout of pamiq-core (git clone, then `npm install` with a Rust toolchain on PATH, or `npm run build` after Rust changes)';
  if (published.includes(suffix)) {
    return (
      `install the platform package: \`npm install pamiq-core-${suffix}\` (npm adds it with pamiq-core unless optional ` +
      `dependencies are omitted or the lockfile was made on another platform), or ${fromCheckout}`
    );
  }
  return `no prebuilt binary is published for ${suffix}: ${fromCheckout}`;
}
