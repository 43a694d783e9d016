import { createRandom } from './random.js';
import { RowScorer, dotRow } from './row-scorer.js';
import { type IndexSet, type Ranked, drainSorted, isBetter, offerToHeap } from './top-k.js';

/**
 * An inverted-file index for maximum-inner-product search over item factor rows.
 *
 * Items are clustered by spherical k-means after the MIPS transform: each row gets one
 * more coordinate, sqrt(M² − ‖v‖²) with M the largest norm, so every row has norm M and
 * the largest inner product with a query (whose extra coordinate is 0) is the nearest
 * row. A query ranks the clusters by q·μ + w·‖q‖·r (μ a cluster's mean row, r its radius
 * around it; w = 1 makes it an upper bound of the inner product of any of its rows),
 * scans the best clusters' rows exactly (stored contiguously, cluster by cluster) and
 * keeps the k best. Clusters are probed in that order until at least `minProbes` were
 * and the top-k holds k items that pass the blocked set (and `candidateFactor`·k rows
 * were scanned), so blocked items cost depth, not recall. A cluster whose bound (that
 * one, or its largest row norm times the query's) cannot beat the k-th score held is
 * skipped, which never changes the result.
 */
export interface IvfIndex {
  readonly factors: number;
  readonly items: number;
  readonly clusters: number;
  /** clusters × factors: each cluster's mean row. */
  readonly centroids: Float32Array;
  /** Largest distance of a row from its cluster's mean. */
  readonly radii: Float32Array;
  /** clusters + 1 offsets into `members` and `rows`. */
  readonly offsets: Int32Array;
  /** Item indexes, cluster by cluster, ascending within a cluster. */
  readonly members: Int32Array;
  /** The members' factor rows, in the same order. */
  readonly rows: Float32Array;
  /** Largest row norm per cluster (an upper bound of q·v is ‖q‖ times it). */
  readonly maxNorms: Float32Array;
}

export interface IvfBuildOptions {
  /** Default round(sqrt(items)). */
  readonly clusters?: number;
  /** k-means passes over the training sample; default 8. */
  readonly iterations?: number;
  /** Rows k-means trains on (all are assigned at the end); default 48 per cluster. */
  readonly sampleSize?: number;
  readonly seed?: number;
  /**
   * Rows scored against every centroid between two yields of the incremental build;
   * default about two million multiply-adds' worth (a millisecond or two).
   */
  readonly sliceRows?: number;
}

export interface IvfSearchOptions {
  /** Clusters always scanned; default max(8, ceil(clusters / 12)). */
  readonly minProbes?: number;
  /** Rows scanned before stopping, as a multiple of k; default 4. */
  readonly candidateFactor?: number;
  /**
   * Clusters are probed in order of q·μ + w·‖q‖·r; 1 is the upper bound of their rows'
   * inner products, 0 the mean's alone. Default 0.25, the best recall per row scanned on
   * both generated clusters and iALS factors.
   */
  readonly radiusWeight?: number;
  /** Score rows in WebAssembly SIMD when available (default); false: plain JavaScript. */
  readonly simd?: boolean;
}

/** Builds the index in one go (tests, workers). */
export function buildIvfIndex(
  itemFactors: Float32Array,
  items: number,
  factors: number,
  options: IvfBuildOptions = {},
): IvfIndex {
  const steps = buildIvfIndexInSlices(itemFactors, items, factors, options);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

/**
 * The same build as a generator that yields after every slice of about `sliceRows` rows
 * scored against every centroid, so a caller can spread it over the event loop.
 */
export function* buildIvfIndexInSlices(
  itemFactors: Float32Array,
  items: number,
  factors: number,
  options: IvfBuildOptions = {},
): Generator<void, IvfIndex, void> {
  const dims = factors + 1;
  const clusters = Math.max(1, Math.min(items, options.clusters ?? Math.round(Math.sqrt(items))));
  const iterations = options.iterations ?? 8;
  const slice = Math.max(
    1,
    options.sliceRows ?? Math.floor(SLICE_MULTIPLY_ADDS / (clusters * (factors + 1))),
  );
  const random = createRandom(options.seed ?? 1);

  const norms = new Float32Array(items);
  let largest = 0;
  for (let item = 0; item < items; item++) {
    let sum = 0;
    const base = item * factors;
    for (let f = 0; f < factors; f++) sum += itemFactors[base + f]! ** 2;
    norms[item] = Math.sqrt(sum);
    if (norms[item]! > largest) largest = norms[item]!;
    if (item % LINEAR_SLICE === LINEAR_SLICE - 1) yield;
  }
  const scale = largest > 0 ? 1 / largest : 1;
  /** The unit-norm augmented row of an item, into `out` at `at`. */
  const augment = (item: number, out: Float32Array, at: number): void => {
    const base = item * factors;
    for (let f = 0; f < factors; f++) out[at + f] = itemFactors[base + f]! * scale;
    const ratio = norms[item]! * scale;
    out[at + factors] = Math.sqrt(Math.max(0, 1 - ratio * ratio));
  };

  // Train on a sample: assignment costs rows × clusters × dims, and centroids settle
  // long before every row has been seen.
  const sampleSize = Math.min(items, Math.max(clusters, options.sampleSize ?? clusters * 48));
  const sample = sampleIndexes(items, sampleSize, random);
  yield;
  const points = new Float32Array(sampleSize * dims);
  for (let s = 0; s < sampleSize; s++) {
    augment(sample[s]!, points, s * dims);
    if (s % LINEAR_SLICE === LINEAR_SLICE - 1) yield;
  }

  const centroids = new Float32Array(clusters * dims);
  const seeds = sampleIndexes(sampleSize, clusters, random);
  for (let c = 0; c < clusters; c++)
    centroids.set(points.subarray(seeds[c]! * dims, (seeds[c]! + 1) * dims), c * dims);

  const assignment = new Int32Array(sampleSize);
  const sums = new Float64Array(clusters * dims);
  const counts = new Int32Array(clusters);
  for (let iteration = 0; iteration < iterations; iteration++) {
    for (let start = 0; start < sampleSize; start += slice) {
      const end = Math.min(sampleSize, start + slice);
      for (let s = start; s < end; s++)
        assignment[s] = nearestCentroid(points, s * dims, centroids, clusters, dims);
      yield;
    }
    sums.fill(0);
    counts.fill(0);
    for (let s = 0; s < sampleSize; s++) {
      const c = assignment[s]!;
      counts[c]!++;
      const base = s * dims;
      const target = c * dims;
      for (let f = 0; f < dims; f++) sums[target + f]! += points[base + f]!;
    }
    for (let c = 0; c < clusters; c++) {
      const target = c * dims;
      if (counts[c] === 0) {
        // An empty cluster restarts on a random sample row.
        const from = random.nextInt(sampleSize) * dims;
        centroids.set(points.subarray(from, from + dims), target);
        continue;
      }
      let length = 0;
      for (let f = 0; f < dims; f++) length += sums[target + f]! ** 2;
      length = Math.sqrt(length);
      if (!(length > 0)) continue;
      for (let f = 0; f < dims; f++) centroids[target + f] = sums[target + f]! / length;
    }
  }

  // Assign every item.
  const cluster = new Int32Array(items);
  const row = new Float32Array(dims);
  for (let start = 0; start < items; start += slice) {
    const end = Math.min(items, start + slice);
    for (let item = start; item < end; item++) {
      augment(item, row, 0);
      cluster[item] = nearestCentroid(row, 0, centroids, clusters, dims);
    }
    yield;
  }
  return yield* layOut(itemFactors, items, factors, clusters, cluster, norms);
}

/** Multiply-adds between two yields of the build. */
const SLICE_MULTIPLY_ADDS = 2_000_000;
/** Rows between two yields of the build's passes that touch each row once. */
const LINEAR_SLICE = 8192;

/** Groups the rows cluster by cluster (counting sort keeps items ascending). */
function* layOut(
  itemFactors: Float32Array,
  items: number,
  factors: number,
  clusters: number,
  cluster: Int32Array,
  norms: Float32Array,
): Generator<void, IvfIndex, void> {
  const offsets = new Int32Array(clusters + 1);
  for (let item = 0; item < items; item++) offsets[cluster[item]! + 1]!++;
  for (let c = 0; c < clusters; c++) offsets[c + 1]! += offsets[c]!;
  const fill = offsets.slice(0, clusters);
  const members = new Int32Array(items);
  const rows = new Float32Array(items * factors);
  const maxNorms = new Float32Array(clusters);
  yield;
  for (let item = 0; item < items; item++) {
    const c = cluster[item]!;
    const at = fill[c]!++;
    members[at] = item;
    for (let f = 0; f < factors; f++) rows[at * factors + f] = itemFactors[item * factors + f]!;
    if (norms[item]! > maxNorms[c]!) maxNorms[c] = norms[item]!;
    if (item % LINEAR_SLICE === LINEAR_SLICE - 1) yield;
  }
  const means = new Float64Array(clusters * factors);
  for (let c = 0; c < clusters; c++) {
    const size = offsets[c + 1]! - offsets[c]!;
    for (let at = offsets[c]!; at < offsets[c + 1]!; at++)
      for (let f = 0; f < factors; f++) means[c * factors + f]! += rows[at * factors + f]! / size;
    if (offsets[c + 1]! % LINEAR_SLICE < size) yield;
  }
  const centroids = Float32Array.from(means);
  const radii = new Float32Array(clusters);
  for (let c = 0; c < clusters; c++) {
    let largest = 0;
    for (let at = offsets[c]!; at < offsets[c + 1]!; at++) {
      let distance = 0;
      for (let f = 0; f < factors; f++)
        distance += (rows[at * factors + f]! - centroids[c * factors + f]!) ** 2;
      if (distance > largest) largest = distance;
    }
    radii[c] = Math.sqrt(largest);
    if (offsets[c + 1]! % LINEAR_SLICE < offsets[c + 1]! - offsets[c]!) yield;
  }
  return { factors, items, clusters, centroids, radii, offsets, members, rows, maxNorms };
}

/** The centroid of largest inner product; four at a time, so each coordinate loads once. */
function nearestCentroid(
  points: Float32Array,
  at: number,
  centroids: Float32Array,
  clusters: number,
  dims: number,
): number {
  let best = 0;
  let bestScore = Number.NEGATIVE_INFINITY;
  let c = 0;
  for (; c + 4 <= clusters; c += 4) {
    const b0 = c * dims;
    const b1 = b0 + dims;
    const b2 = b1 + dims;
    const b3 = b2 + dims;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let f = 0; f < dims; f++) {
      const value = points[at + f]!;
      s0 += value * centroids[b0 + f]!;
      s1 += value * centroids[b1 + f]!;
      s2 += value * centroids[b2 + f]!;
      s3 += value * centroids[b3 + f]!;
    }
    if (s0 > bestScore) {
      bestScore = s0;
      best = c;
    }
    if (s1 > bestScore) {
      bestScore = s1;
      best = c + 1;
    }
    if (s2 > bestScore) {
      bestScore = s2;
      best = c + 2;
    }
    if (s3 > bestScore) {
      bestScore = s3;
      best = c + 3;
    }
  }
  for (; c < clusters; c++) {
    const base = c * dims;
    let score = 0;
    for (let f = 0; f < dims; f++) score += points[at + f]! * centroids[base + f]!;
    if (score > bestScore) {
      bestScore = score;
      best = c;
    }
  }
  return best;
}

/** `count` distinct indexes of 0..n-1 (a partial Fisher-Yates shuffle). */
function sampleIndexes(
  n: number,
  count: number,
  random: ReturnType<typeof createRandom>,
): Int32Array {
  const pool = new Int32Array(n);
  for (let i = 0; i < n; i++) pool[i] = i;
  for (let i = 0; i < count; i++) {
    const j = i + random.nextInt(n - i);
    const swap = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = swap;
  }
  return pool.subarray(0, count);
}

/**
 * Searches one index; scratch memory is allocated once (and grown with k), so a query
 * allocates only its result. Not re-entrant.
 */
export class IvfSearcher {
  private readonly centroidScores: Float64Array;
  private readonly bounds: Float64Array;
  private readonly radiusWeight: number;
  private readonly order: Int32Array;
  private heapIndices = new Int32Array(16);
  private heapScores = new Float64Array(16);
  private readonly minProbes: number;
  private readonly candidateFactor: number;
  /** Clusters and rows the last search scanned (diagnostics). */
  lastProbes = 0;
  lastScanned = 0;
  /** The rows' inner products in WebAssembly SIMD; undefined: plain JavaScript. */
  private readonly scorer: RowScorer | undefined;
  private readonly centroidScorer: RowScorer | undefined;

  constructor(
    readonly index: IvfIndex,
    options: IvfSearchOptions = {},
  ) {
    this.centroidScores = new Float64Array(index.clusters);
    this.bounds = new Float64Array(index.clusters);
    this.radiusWeight = options.radiusWeight ?? 0.25;
    this.order = new Int32Array(index.clusters);
    this.minProbes = Math.max(1, options.minProbes ?? Math.max(8, Math.ceil(index.clusters / 12)));
    this.candidateFactor = options.candidateFactor ?? 4;
    let largest = 0;
    for (let c = 0; c < index.clusters; c++)
      largest = Math.max(largest, index.offsets[c + 1]! - index.offsets[c]!);
    const simd = options.simd ?? true;
    this.scorer = simd
      ? RowScorer.create(index.rows, index.members.length, index.factors, largest)
      : undefined;
    this.centroidScorer = simd
      ? RowScorer.create(index.centroids, index.clusters, index.factors, index.clusters)
      : undefined;
  }

  /**
   * The k items with the largest inner product with `query`, best first, ties to the
   * smaller index (as `topK`); blocked items are never returned. `minProbes` overrides
   * the searcher's (the number of clusters: exact).
   */
  search(query: Float32Array, k: number, blocked?: IndexSet, minProbes?: number): Ranked {
    const { factors, clusters, centroids, radii, offsets, members, rows, maxNorms } = this.index;
    const capacity = Math.max(0, Math.min(k, this.index.items));
    if (this.heapIndices.length < capacity) {
      this.heapIndices = new Int32Array(capacity);
      this.heapScores = new Float64Array(capacity);
    }
    const heapIndices = this.heapIndices;
    const heapScores = this.heapScores;
    const scores = this.centroidScores;
    const bounds = this.bounds;
    const order = this.order;
    let queryNorm = 0;
    for (let f = 0; f < factors; f++) queryNorm += query[f]! * query[f]!;
    queryNorm = Math.sqrt(queryNorm);
    const scorer = this.scorer;
    scorer?.useQuery(query);
    this.centroidScorer?.useQuery(query);
    const centroidProducts = this.centroidScorer?.score(0, clusters);
    for (let c = 0; c < clusters; c++) {
      const score =
        centroidProducts !== undefined
          ? centroidProducts[c]!
          : dotRow(centroids, c * factors, query, factors);
      bounds[c] = loosened(score + queryNorm * radii[c]!);
      scores[c] = score + this.radiusWeight * queryNorm * radii[c]!;
      order[c] = c;
    }
    // A max-heap of clusters: a query probes a few of them, so sorting all is wasted.
    for (let at = (clusters >> 1) - 1; at >= 0; at--) siftClusterDown(order, scores, at, clusters);
    let remaining = clusters;

    const probesWanted = Math.min(clusters, minProbes ?? this.minProbes);
    const rowsWanted = this.candidateFactor * capacity;
    let size = 0;
    let probes = 0;
    let scanned = 0;
    while (remaining > 0) {
      if (probes >= probesWanted && size === capacity && scanned >= rowsWanted) break;
      const c = order[0]!;
      order[0] = order[--remaining]!;
      siftClusterDown(order, scores, 0, remaining);
      probes++;
      // No row here can beat the k-th score already held.
      if (
        size === capacity &&
        capacity > 0 &&
        (bounds[c]! < heapScores[0]! || loosened(queryNorm * maxNorms[c]!) < heapScores[0]!)
      )
        continue;
      const start = offsets[c]!;
      const end = offsets[c + 1]!;
      scanned += end - start;
      const products = scorer?.score(start, end);
      for (let at = start; at < end; at++) {
        // Rounded as an exact scan stores it, so both rank ties alike.
        const score = Math.fround(
          products !== undefined
            ? products[at - start]!
            : dotRow(rows, at * factors, query, factors),
        );
        const item = members[at]!;
        if (!(score > Number.NEGATIVE_INFINITY)) continue;
        if (size === capacity && !isBetter(score, item, heapScores[0]!, heapIndices[0]!)) continue;
        if (blocked !== undefined && blocked.has(item)) continue;
        size = offerToHeap(heapScores, heapIndices, size, capacity, item, score);
      }
    }
    this.lastProbes = probes;
    this.lastScanned = scanned;
    return drainSorted(heapScores, heapIndices, size);
  }
}

/** Restores the max-heap of clusters (by score, ties to the smaller cluster) below `at`. */
function siftClusterDown(order: Int32Array, scores: Float64Array, at: number, size: number): void {
  const cluster = order[at]!;
  const score = scores[cluster]!;
  for (;;) {
    let child = 2 * at + 1;
    if (child >= size) break;
    const right = child + 1;
    if (right < size && before(order[right]!, order[child]!, scores)) child = right;
    const candidate = order[child]!;
    if (!(scores[candidate]! > score || (scores[candidate] === score && candidate < cluster)))
      break;
    order[at] = candidate;
    at = child;
  }
  order[at] = cluster;
}

function before(a: number, b: number, scores: Float64Array): boolean {
  return scores[a]! > scores[b]! || (scores[a] === scores[b] && a < b);
}

/** A bound raised a little: float32 rows and rounding can put a score a hair above it. */
function loosened(bound: number): number {
  return bound + Math.abs(bound) * 1e-4 + 1e-7;
}
