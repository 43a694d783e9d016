/**
 * The one place where external string ids become dense integer indexes, so that models
 * and counters work on typed arrays. An index is never reused for another id.
 */
export class IdMap {
  private readonly indexById = new Map<string, number>();
  private readonly ids: (string | null)[] = [];

  get size(): number {
    return this.ids.length;
  }

  /** Live ids (those not forgotten). */
  get liveCount(): number {
    return this.indexById.size;
  }

  indexOf(id: string): number | undefined {
    return this.indexById.get(id);
  }

  /** The index of `id`, assigning the next one if the id is new. */
  intern(id: string): number {
    let index = this.indexById.get(id);
    if (index === undefined) {
      index = this.ids.length;
      this.ids.push(id);
      this.indexById.set(id, index);
    }
    return index;
  }

  /** The external id of an index, or null when it was forgotten. */
  idOf(index: number): string | null {
    return this.ids[index] ?? null;
  }

  /** Erases the external id (it may be personal data); the index stays retired. */
  forget(id: string): number | undefined {
    const index = this.indexById.get(id);
    if (index === undefined) return undefined;
    this.indexById.delete(id);
    this.ids[index] = null;
    return index;
  }

  toJSON(): (string | null)[] {
    return this.ids;
  }

  static fromJSON(ids: readonly (string | null)[]): IdMap {
    const map = new IdMap();
    for (const id of ids) {
      const index = map.ids.length;
      map.ids.push(id);
      if (id !== null) map.indexById.set(id, index);
    }
    return map;
  }
}
