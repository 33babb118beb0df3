// One seeded source of randomness for everything the bench randomises (block order, sample order,
// bootstrap resamples), so a seed recorded in the result reproduces every number.
import { mersenne } from 'pure-rand/generator/mersenne';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { UsageError } from '../errors.ts';

// Mersenne Twister, not xoroshiro128+: pure-rand's xoroshiro128plus(seed) starts every small seed
// with nearly the same first output (0.9999... for seeds 1 to 5, 42 and 43, the ones tried), which
// made the first shuffle the same for every seed; MT19937's seeding mixes the seed through its whole state.
export const RANDOM_METHOD = 'pure-rand Mersenne Twister (MT19937) seeded with the integer seed; uniform floats in [0, 1) with 53 random bits';

/** A function returning uniform numbers in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  checkSeed(seed);
  const rng = mersenne(seed);
  return () => uniformFloat64(rng);
}

export const MAX_SEED = 2 ** 31 - 1;

export function checkSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new UsageError('--seed', `${seed} is not a whole number from 0 to ${MAX_SEED}`, 'pass e.g. --seed 42, or leave it out to draw one');
  }
}

/** A seed for one named use of a base seed, so adding a comparison does not shift the others' streams. */
export function deriveSeed(seed: number, label: string): number {
  // FNV-1a over the label, mixed with the seed: stable across runs and platforms.
  let h = 0x811c9dc5 ^ (seed | 0);
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % (MAX_SEED + 1);
}
