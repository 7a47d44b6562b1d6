import { spawn } from 'node:child_process';
import type { ExecutionContext } from 'ava';

const lockModule = new URL('../../src/state/lock.ts', import.meta.url).href;

/**
 * Starts a process that takes the lock of `dir` and holds it until the test ends; resolves with its pid.
 * With `kill`, the process is SIGKILLed once it holds the lock (its claim stays behind) and the promise
 * resolves after it exited.
 */
export async function holdLockInChild(
  t: ExecutionContext,
  dir: string,
  options: { kill?: boolean } = {},
): Promise<number> {
  const holder = spawn(
    process.execPath,
    [
      '--import=tsx',
      '-e',
      `const { StatesDirLock } = await import(${JSON.stringify(lockModule)});
       StatesDirLock.acquire(${JSON.stringify(dir)}); console.log('locked'); setTimeout(() => {}, 60000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.teardown(() => holder.kill('SIGKILL'));
  await new Promise<void>((resolve) => holder.stdout!.on('data', (d) => String(d).includes('locked') && resolve()));
  if (options.kill) {
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    holder.kill('SIGKILL');
    await exited;
  }
  return holder.pid!;
}
