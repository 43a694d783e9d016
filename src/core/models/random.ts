/**
 * Seeded pseudo-random numbers (xoshiro128**, seeded through splitmix32) so that model
 * fitting, negative sampling and evaluation splits are reproducible run to run and can
 * be re-created inside a worker from nothing but the seed.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, bound). */
  nextInt(bound: number): number;
  /** Standard normal (mean 0, variance 1). */
  nextGaussian(): number;
  /** Raw 32 unsigned bits. */
  nextUint32(): number;
}

const TWO_POW_32 = 4294967296;

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function createRandom(seed: number): Random {
  const seeder = splitmix32(seed);
  let s0 = seeder();
  let s1 = seeder();
  let s2 = seeder();
  let s3 = seeder();
  // An all-zero state would stay zero forever.
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  let spareGaussian: number | null = null;

  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };

  const next = (): number => nextUint32() / TWO_POW_32;

  return {
    next,
    nextUint32,
    nextInt(bound: number): number {
      // Floor of a uniform float: the bias is below 2^-32 * bound, negligible here.
      return Math.floor(next() * bound);
    },
    nextGaussian(): number {
      if (spareGaussian !== null) {
        const value = spareGaussian;
        spareGaussian = null;
        return value;
      }
      // Box-Muller; 1 - next() keeps the logarithm's argument away from zero.
      const radius = Math.sqrt(-2 * Math.log(1 - next()));
      const angle = 2 * Math.PI * next();
      spareGaussian = radius * Math.sin(angle);
      return radius * Math.cos(angle);
    },
  };
}

function rotl(value: number, shift: number): number {
  return (value << shift) | (value >>> (32 - shift));
}

/** Fisher-Yates, in place. */
export function shuffleInPlace(
  values: { length: number; [index: number]: number },
  random: Random,
): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    const swap = values[i]!;
    values[i] = values[j]!;
    values[j] = swap;
  }
}
