import { type IvfBuildOptions, type IvfIndex, buildIvfIndexInSlices } from './ivf.js';

/** Items grouped by category, as CSR: category c holds items[offsets[c] .. offsets[c + 1]). */
export interface CategoryMembers {
  readonly names: readonly string[];
  readonly offsets: Int32Array;
  /** Ascending within a category. */
  readonly items: Int32Array;
}

/** Categories of at most this many items are one cluster: a query scans them exactly. */
const EXACT_UP_TO = 2000;

/**
 * One inner-product index per category, over the same factor rows: a request that keeps
 * items of one category only searches that category's items (a filter that keeps one item
 * in twenty then costs a twentieth of the search, not ten times its depth). Members are
 * catalog indexes, so results need no mapping back. Built as a generator, one slice at a
 * time, like the catalog-wide index; items the factors do not cover are left out.
 */
export function* buildPartitionsInSlices(
  itemFactors: Float32Array,
  items: number,
  factors: number,
  categories: CategoryMembers,
  options: IvfBuildOptions = {},
): Generator<void, Map<string, IvfIndex>, void> {
  const partitions = new Map<string, IvfIndex>();
  for (let c = 0; c < categories.names.length; c++) {
    const start = categories.offsets[c]!;
    let end = categories.offsets[c + 1]!;
    while (end > start && categories.items[end - 1]! >= items) end--;
    const count = end - start;
    if (count === 0) continue;
    const members = categories.items.subarray(start, end);
    const rows = new Float32Array(count * factors);
    for (let i = 0; i < count; i++)
      rows.set(
        itemFactors.subarray(members[i]! * factors, (members[i]! + 1) * factors),
        i * factors,
      );
    const local = yield* buildIvfIndexInSlices(rows, count, factors, {
      ...options,
      ...(count <= EXACT_UP_TO ? { clusters: 1 } : {}),
    });
    // Local row numbers back to catalog indexes; ascending stays ascending.
    const mapped = new Int32Array(local.members.length);
    for (let at = 0; at < mapped.length; at++) mapped[at] = members[local.members[at]!]!;
    partitions.set(categories.names[c]!, { ...local, members: mapped });
  }
  return partitions;
}
