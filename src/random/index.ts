export { RandomSource, entropySeed } from './random-source.js';
export { globalRandom, seedGlobalRandom } from './global.js';
