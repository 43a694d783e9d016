/**
 * Variable-length integer lists keyed by dense ids (documents), packed into one
 * growable array: no object per document, and a snapshot is three typed arrays.
 * Replacing a list appends the new one and leaves the old as garbage until `compact`.
 */
export class PackedLists {
  data: Int32Array;
  start: Uint32Array;
  count: Uint32Array;
  private used = 0;
  private garbage = 0;

  constructor(initialKeys = 0, initialData = 1024) {
    this.data = new Int32Array(initialData);
    this.start = new Uint32Array(initialKeys);
    this.count = new Uint32Array(initialKeys);
  }

  get usedLength(): number {
    return this.used;
  }

  get keyCapacity(): number {
    return this.start.length;
  }

  /** Whether rewriting would at least halve the array. */
  get wasteful(): boolean {
    return this.garbage > 65536 && this.garbage * 2 > this.used;
  }

  length(key: number): number {
    return key < this.count.length ? this.count[key]! : 0;
  }

  offset(key: number): number {
    return this.start[key]!;
  }

  set(key: number, values: ArrayLike<number>, length: number): void {
    this.clear(key);
    this.ensureKey(key);
    if (this.used + length > this.data.length) {
      let capacity = this.data.length * 2;
      while (capacity < this.used + length) capacity *= 2;
      const bigger = new Int32Array(capacity);
      bigger.set(this.data.subarray(0, this.used));
      this.data = bigger;
    }
    const data = this.data;
    const at = this.used;
    for (let i = 0; i < length; i++) data[at + i] = values[i]!;
    this.start[key] = at;
    this.count[key] = length;
    this.used += length;
  }

  clear(key: number): void {
    if (key >= this.count.length) return;
    this.garbage += this.count[key]!;
    this.count[key] = 0;
  }

  ensureKey(key: number): void {
    if (key < this.start.length) return;
    let capacity = Math.max(16, this.start.length * 2);
    while (capacity <= key) capacity *= 2;
    const start = new Uint32Array(capacity);
    start.set(this.start);
    const count = new Uint32Array(capacity);
    count.set(this.count);
    this.start = start;
    this.count = count;
  }

  /** Rewrites live lists contiguously, in key order. */
  compact(): void {
    const data = new Int32Array(Math.max(1024, this.used - this.garbage));
    const old = this.data;
    let at = 0;
    // An element at a time: lists are a few entries long, and a view per list (100,000
    // of them) cost more than the copying.
    for (let key = 0; key < this.count.length; key++) {
      const length = this.count[key]!;
      if (length === 0) continue;
      const from = this.start[key]!;
      for (let i = 0; i < length; i++) data[at + i] = old[from + i]!;
      this.start[key] = at;
      at += length;
    }
    this.data = data;
    this.used = at;
    this.garbage = 0;
  }

  /**
   * Copies, so the snapshot does not change as the lists do; compacted first when a list
   * was replaced or cleared since (the copy then carries no garbage).
   */
  export(prefix: string): Record<string, ArrayBufferView> {
    if (this.garbage > 0) this.compact();
    return {
      [`${prefix}.data`]: this.data.slice(0, this.used),
      [`${prefix}.start`]: this.start.slice(),
      [`${prefix}.count`]: this.count.slice(),
    };
  }

  static import(arrays: Readonly<Record<string, ArrayBufferView>>, prefix: string): PackedLists {
    const data = arrays[`${prefix}.data`];
    const start = arrays[`${prefix}.start`];
    const count = arrays[`${prefix}.count`];
    if (
      !(data instanceof Int32Array && start instanceof Uint32Array && count instanceof Uint32Array)
    )
      throw new Error(`snapshot lacks the ${prefix} lists`);
    const lists = new PackedLists(0, 0);
    lists.data = new Int32Array(Math.max(1024, data.length));
    lists.data.set(data);
    lists.start = start.slice();
    lists.count = count.slice();
    lists.used = data.length;
    return lists;
  }
}
