import type { InvertedIndex } from '../inverted-index/inverted-index.js';
import type { Bm25Parameters } from './accumulate.js';

/** Longest field length tabulated; longer values are computed on the spot, identically. */
const MAX_TABLE = 1 << 16;

/**
 * Per-query tables, per field and field length, of BM25F's length-normalized field
 * weight `n = weight / (1 - b + b * length / averageLength)` and of the saturated score
 * of a single occurrence `n / (n + k1)`. Postings then cost a lookup instead of one or
 * two divisions, and scores are bit-identical to computing the formulas directly.
 */
export class LengthNorms {
  private norms: Float64Array[] = [];
  private singles: Float64Array[] = [];
  private weights: number[] = [];
  private perWord: number[] = [];
  private base = 0.25;
  private k1 = 1.2;

  prepare(index: InvertedIndex, fieldAllowed: Uint8Array, params: Bm25Parameters): void {
    this.base = 1 - params.b;
    this.k1 = params.k1;
    for (let field = 0; field < fieldAllowed.length; field++) {
      if (fieldAllowed[field] !== 1) continue;
      const weight = index.fields.weight(field);
      const perWord = params.b / index.averageLength(field);
      this.weights[field] = weight;
      this.perWord[field] = perWord;
      const size = Math.min(MAX_TABLE, (index.maxLengths[field] ?? 0) + 1);
      let norms = this.norms[field];
      let singles = this.singles[field];
      if (norms === undefined || singles === undefined || norms.length < size) {
        norms = new Float64Array(Math.max(64, size));
        singles = new Float64Array(norms.length);
        this.norms[field] = norms;
        this.singles[field] = singles;
      }
      for (let length = 0; length < size; length++) {
        const n = weight / (this.base + perWord * length);
        norms[length] = n;
        singles[length] = n / (n + this.k1);
      }
    }
  }

  /** `weight / (1 - b + b * length / average)` tabulated for `field`, by length. */
  normTable(field: number): Float64Array {
    return this.norms[field] as Float64Array;
  }

  /** `n / (n + k1)` tabulated for `field`, by length: a single occurrence, saturated. */
  singleTable(field: number): Float64Array {
    return this.singles[field] as Float64Array;
  }

  /** The norm of a length past the table. */
  norm(field: number, length: number): number {
    return this.weights[field]! / (this.base + this.perWord[field]! * length);
  }
}
