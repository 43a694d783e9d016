import type { CsrMatrix } from './interaction-matrix.js';
import type { Ranked } from './top-k.js';

/**
 * Collects each item's kept neighbours, item by item in order, into an items × items
 * CSR matrix: what the item-item models (item-kNN, RP3beta) store.
 */
export class NeighbourRows {
  private readonly rowPtr: Int32Array;
  private readonly ids: Int32Array[] = [];
  private readonly scores: Float32Array[] = [];

  constructor(private readonly items: number) {
    this.rowPtr = new Int32Array(items + 1);
  }

  /** Appends the next item's row (items must come 0, 1, 2, ...). */
  add(item: number, best: Ranked): void {
    this.ids.push(best.indices);
    this.scores.push(best.scores);
    this.rowPtr[item + 1] = this.rowPtr[item]! + best.indices.length;
  }

  build(): CsrMatrix {
    const { items, rowPtr } = this;
    const colIdx = new Int32Array(rowPtr[items]!);
    const values = new Float32Array(rowPtr[items]!);
    for (let item = 0; item < items; item++) {
      colIdx.set(this.ids[item]!, rowPtr[item]!);
      values.set(this.scores[item]!, rowPtr[item]!);
    }
    return { rows: items, cols: items, rowPtr, colIdx, values };
  }
}
