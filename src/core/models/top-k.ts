/** Anything that can say whether an index is excluded: a Set, an IndexMask, ... */
export interface IndexSet {
  has(index: number): boolean;
}

/** The k best indexes, best first, with their scores. */
export interface Ranked {
  readonly indices: Int32Array;
  readonly scores: Float32Array;
}

export type ScoreArray = Float32Array | Float64Array;

/**
 * Dense membership over 0..size-1: cheaper than a Set when the same exclusion list is
 * consulted once per catalog item.
 */
export class IndexMask implements IndexSet {
  private readonly bits: Uint8Array;

  constructor(size: number, indices: Iterable<number> = []) {
    this.bits = new Uint8Array(size);
    for (const index of indices) this.add(index);
  }

  add(index: number): void {
    if (index >= 0 && index < this.bits.length) this.bits[index] = 1;
  }

  has(index: number): boolean {
    return this.bits[index] === 1;
  }
}

/**
 * Top-k selection with a size-k min-heap: O(n log k) and no copy or full sort of the n
 * scores, which matters when n is the whole catalog and k is a page of results.
 * Excluded indexes, NaN and -Infinity scores are skipped (callers mask candidates by
 * setting -Infinity). Ties go to the smaller index so results are deterministic.
 */
export function topK(scores: ScoreArray, k: number, exclude?: IndexSet): Ranked {
  return selectTop(scores, undefined, scores.length, k, exclude);
}

/**
 * Same selection, but only over the first `count` indexes of `candidates` (e.g. the
 * items a sparse accumulation touched), so the cost is independent of the catalog size.
 */
export function topKAmong(
  scores: ScoreArray,
  candidates: Int32Array,
  count: number,
  k: number,
  exclude?: IndexSet,
): Ranked {
  return selectTop(scores, candidates, count, k, exclude);
}

function selectTop(
  scores: ScoreArray,
  candidates: Int32Array | undefined,
  count: number,
  k: number,
  exclude: IndexSet | undefined,
): Ranked {
  const capacity = Math.max(0, Math.min(k, count));
  const heapIndices = new Int32Array(capacity);
  const heapScores = new Float64Array(capacity);
  let size = 0;

  for (let position = 0; position < count; position++) {
    const index = candidates === undefined ? position : candidates[position]!;
    const score = scores[index]!;
    if (!(score > Number.NEGATIVE_INFINITY)) continue;
    if (size === capacity && !isBetter(score, index, heapScores[0]!, heapIndices[0]!)) continue;
    if (exclude !== undefined && exclude.has(index)) continue;
    size = offerToHeap(heapScores, heapIndices, size, capacity, index, score);
  }

  return drainSorted(heapScores, heapIndices, size);
}

/*
 * A bounded min-heap of (score, index) pairs in two parallel arrays (scratch at least
 * `capacity` long): the root is the worst kept entry, so a candidate is compared with it alone.
 * Shared by `topK` and the inverted-file index; ties rank the smaller index first.
 */

/** True when (scoreA, indexA) ranks above (scoreB, indexB). */
export function isBetter(scoreA: number, indexA: number, scoreB: number, indexB: number): boolean {
  return scoreA > scoreB || (scoreA === scoreB && indexA < indexB);
}

/**
 * Adds an entry that ranks above the root (or any entry while the heap is not full) and
 * returns the new size; when full, the entry replaces the worst one.
 */
export function offerToHeap(
  heapScores: Float64Array,
  heapIndices: Int32Array,
  size: number,
  capacity: number,
  index: number,
  score: number,
): number {
  if (size < capacity) {
    heapIndices[size] = index;
    heapScores[size] = score;
    siftUp(heapScores, heapIndices, size);
    return size + 1;
  }
  heapIndices[0] = index;
  heapScores[0] = score;
  siftDown(heapScores, heapIndices, size);
  return size;
}

function siftUp(scores: Float64Array, indices: Int32Array, position: number): void {
  let child = position;
  while (child > 0) {
    const parent = (child - 1) >> 1;
    if (!isBetter(scores[parent]!, indices[parent]!, scores[child]!, indices[child]!)) break;
    swap(scores, indices, parent, child);
    child = parent;
  }
}

function siftDown(scores: Float64Array, indices: Int32Array, size: number): void {
  let parent = 0;
  for (;;) {
    const left = 2 * parent + 1;
    if (left >= size) return;
    const right = left + 1;
    let worst = left;
    if (right < size && isBetter(scores[left]!, indices[left]!, scores[right]!, indices[right]!)) {
      worst = right;
    }
    if (!isBetter(scores[parent]!, indices[parent]!, scores[worst]!, indices[worst]!)) return;
    swap(scores, indices, parent, worst);
    parent = worst;
  }
}

function swap(scores: Float64Array, indices: Int32Array, a: number, b: number): void {
  const score = scores[a]!;
  scores[a] = scores[b]!;
  scores[b] = score;
  const index = indices[a]!;
  indices[a] = indices[b]!;
  indices[b] = index;
}

/** Pops the min-heap from the back so the output ends up best first. */
export function drainSorted(
  heapScores: Float64Array,
  heapIndices: Int32Array,
  size: number,
): Ranked {
  const indices = new Int32Array(size);
  const scores = new Float32Array(size);
  for (let remaining = size; remaining > 0; remaining--) {
    indices[remaining - 1] = heapIndices[0]!;
    scores[remaining - 1] = heapScores[0]!;
    heapIndices[0] = heapIndices[remaining - 1]!;
    heapScores[0] = heapScores[remaining - 1]!;
    siftDown(heapScores, heapIndices, remaining - 1);
  }
  return { indices, scores };
}
