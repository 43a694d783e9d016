import type { IdMap } from '../../core/projections/id-map.js';
import type { IndexSet } from '../../core/models/top-k.js';

/** Up to this many excluded ids are compared by id; more are looked up once. */
const BY_ID_LIMIT = 32;

/**
 * The items a request leaves out: its exclude list (external ids) and the items of pages
 * already served (indexes). A short exclude list is checked by id, against the id of each
 * candidate asked about: a request asks about a few dozen candidates, whose ids it reads
 * for its answer anyway, while looking each excluded id up in a catalog-sized map costs a
 * scattered read or more per id, most of them for items that were never candidates. A
 * long list is looked up once.
 */
export function excludedItems(
  ids: IdMap,
  excludedIds: readonly string[],
  served: readonly number[],
): IndexSet {
  if (excludedIds.length > BY_ID_LIMIT) {
    const indexes = new Set<number>(served);
    for (const id of excludedIds) {
      const index = ids.indexOf(id);
      if (index !== undefined) indexes.add(index);
    }
    return indexes;
  }
  if (excludedIds.length === 0) return new Set<number>(served);
  const byId = new Set(excludedIds);
  // Most requests page nothing on: then only the ids are compared.
  const indexes = served.length > 0 ? new Set<number>(served) : undefined;
  return {
    has: (index) => {
      if (indexes?.has(index) === true) return true;
      const id = ids.idOf(index);
      return id !== null && byId.has(id);
    },
  };
}
