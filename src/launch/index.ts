export { launch, type LaunchOptions, type LaunchResult, type LaunchedSystem, type SystemControl } from './launch.js';
export { resolveLaunchConfig, LaunchConfigError, type LaunchConfig, type ResolvedLaunchConfig } from './config.js';
export { EventLoopRunner, type LoopRunner, type LoopBody } from './loop.js';
export type { ShutdownReason, SaveRecord } from './control.js';
export { wireSystem, type SystemComponents, type WiredSystem } from './wiring.js';
