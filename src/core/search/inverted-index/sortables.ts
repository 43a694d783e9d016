import type { Item } from '../../domain/item.js';

/**
 * Numeric attributes by document, for sorting: NaN where an item has no usable value
 * (such items sort last either way).
 */
export class SortableStore {
  private columns: Float64Array[];

  constructor(readonly names: readonly string[]) {
    this.columns = names.map(() => new Float64Array(0));
  }

  column(name: string): Float64Array | undefined {
    const at = this.names.indexOf(name);
    return at < 0 ? undefined : this.columns[at];
  }

  update(doc: number, item: Item): void {
    this.ensureDoc(doc);
    this.names.forEach((name, at) => {
      (this.columns[at] as Float64Array)[doc] = toNumber(item.attributes[name]);
    });
  }

  remove(doc: number): void {
    for (const column of this.columns) if (doc < column.length) column[doc] = NaN;
  }

  private ensureDoc(doc: number): void {
    this.columns = this.columns.map((column) => {
      if (doc < column.length) return column;
      let capacity = Math.max(1024, column.length * 2);
      while (capacity <= doc) capacity *= 2;
      const bigger = new Float64Array(capacity).fill(NaN);
      bigger.set(column);
      return bigger;
    });
  }

  exportState(): Record<string, ArrayBufferView> {
    const arrays: Record<string, ArrayBufferView> = {};
    this.names.forEach(
      (name, at) => (arrays[`sort.${name}`] = (this.columns[at] as Float64Array).slice()),
    );
    return arrays;
  }

  importState(arrays: Readonly<Record<string, ArrayBufferView>>): void {
    this.columns = this.names.map((name) => {
      const column = arrays[`sort.${name}`];
      return column instanceof Float64Array ? column.slice() : new Float64Array(0);
    });
  }
}

function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : NaN;
  }
  return NaN;
}
