// Searches of any inner-product index in this process, counted by wrapping the searcher's
// method, and the test pipeline reduced to its iALS component (only a pure factor model
// is served from an index).
import { IvfSearcher } from '../../src/core/models/ivf.js';
import { TEST_PIPELINE } from './planted-data.js';

export const IALS_ONLY_PIPELINE = JSON.stringify({
  ...(JSON.parse(TEST_PIPELINE) as Record<string, unknown>),
  components: [
    (JSON.parse(TEST_PIPELINE) as { components: unknown[] }).components.find(
      (component) => (component as { kind: string }).kind === 'ials',
    ),
  ],
});

let searches = 0;
const search = IvfSearcher.prototype.search;
IvfSearcher.prototype.search = function (this: IvfSearcher, ...args) {
  searches++;
  return search.apply(this, args);
};

/** Index searches run so far. */
export function indexSearches(): number {
  return searches;
}
