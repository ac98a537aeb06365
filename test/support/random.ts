// Seeded randomness for tests: same seed, same sequence (the simulator's PRNG).
export { mulberry32 } from '../../src/simulator/prng.js';
