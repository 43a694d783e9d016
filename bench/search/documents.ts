/** One benchmark document, in the shape every engine is given. */
export interface BenchDocument {
  /** Dense 0..n-1, the position in the dataset: Kindred's doc id, the libraries' id. */
  readonly id: number;
  readonly title: string;
  /** Empty when the dataset has none. */
  readonly description: string;
  readonly categories: readonly string[];
  readonly brand: string;
  readonly price: number;
  readonly year: number;
}

/** A filter every engine expresses its own way: `attribute < below` or `attribute >= atLeast`. */
export interface BenchFilter {
  readonly attribute: 'price' | 'year';
  readonly below?: number;
  readonly atLeast?: number;
}

export interface BenchDataset {
  readonly name: string;
  readonly documents: readonly BenchDocument[];
  /** Text fields besides title and categories. */
  readonly textFields: readonly ('description' | 'brand')[];
  readonly facets: readonly ('categories' | 'brand')[];
  readonly filter: BenchFilter;
}

export function acceptsFilter(filter: BenchFilter, document: BenchDocument): boolean {
  const value = document[filter.attribute];
  if (filter.below !== undefined && !(value < filter.below)) return false;
  if (filter.atLeast !== undefined && !(value >= filter.atLeast)) return false;
  return true;
}
