import { createRequire } from 'node:module';

// Read at run time so src/ (via tsx) and dist/ report the same version: both sit one level below package.json.
const pkg = createRequire(import.meta.url)('../package.json') as { name: string; version: string };

export const LIBRARY = { name: pkg.name, version: pkg.version } as const;
export const VERSION: string = pkg.version;
