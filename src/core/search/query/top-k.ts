/**
 * The k best of a stream of (primary, secondary, doc) keys, higher keys first and the
 * smaller doc first on full ties, so results are deterministic. A min-heap of size k:
 * O(n log k), and nothing allocated per pushed item.
 */
export class TopK {
  private readonly primary: Float64Array;
  private readonly secondary: Float64Array;
  private readonly docs: Int32Array;
  private size = 0;

  constructor(readonly k: number) {
    this.primary = new Float64Array(k);
    this.secondary = new Float64Array(k);
    this.docs = new Int32Array(k);
  }

  get length(): number {
    return this.size;
  }

  /** Keys below this cannot get in: -Infinity until the heap is full, then the worst kept. */
  get floor(): number {
    return this.size < this.k ? -Infinity : this.k === 0 ? Infinity : this.primary[0]!;
  }

  push(primary: number, secondary: number, doc: number): void {
    if (this.k === 0) return;
    if (this.size < this.k) {
      let at = this.size++;
      // Sift up: the root holds the worst kept item.
      while (at > 0) {
        const parent = (at - 1) >> 1;
        if (!this.worse(primary, secondary, doc, parent)) break;
        this.move(parent, at);
        at = parent;
      }
      this.put(at, primary, secondary, doc);
      return;
    }
    if (this.worse(primary, secondary, doc, 0) || this.same(primary, secondary, doc, 0)) return;
    let at = 0;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= this.size) break;
      const right = left + 1;
      const child = right < this.size && this.lessAt(right, left) ? right : left;
      if (!this.lessAtThan(child, primary, secondary, doc)) break;
      this.move(child, at);
      at = child;
    }
    this.put(at, primary, secondary, doc);
  }

  /** Docs best first, with their primary and secondary keys. */
  drain(): { docs: number[]; primary: number[]; secondary: number[] } {
    const order = Array.from({ length: this.size }, (_, i) => i);
    order.sort((a, b) => (this.lessAt(a, b) ? 1 : this.lessAt(b, a) ? -1 : 0));
    const result = {
      docs: order.map((i) => this.docs[i]!),
      primary: order.map((i) => this.primary[i]!),
      secondary: order.map((i) => this.secondary[i]!),
    };
    this.size = 0;
    return result;
  }

  /** Whether the key is worse than the item at `at`. */
  private worse(primary: number, secondary: number, doc: number, at: number): boolean {
    const p = this.primary[at]!;
    if (primary !== p) return primary < p;
    const s = this.secondary[at]!;
    if (secondary !== s) return secondary < s;
    return doc > this.docs[at]!;
  }

  private same(primary: number, secondary: number, doc: number, at: number): boolean {
    return (
      primary === this.primary[at] && secondary === this.secondary[at] && doc === this.docs[at]
    );
  }

  /** Whether the item at `a` is worse than the item at `b`. */
  private lessAt(a: number, b: number): boolean {
    return this.worse(this.primary[a]!, this.secondary[a]!, this.docs[a]!, b);
  }

  /** Whether the item at `at` is worse than the key. */
  private lessAtThan(at: number, primary: number, secondary: number, doc: number): boolean {
    const p = this.primary[at]!;
    if (p !== primary) return p < primary;
    const s = this.secondary[at]!;
    if (s !== secondary) return s < secondary;
    return this.docs[at]! > doc;
  }

  private move(from: number, to: number): void {
    this.primary[to] = this.primary[from]!;
    this.secondary[to] = this.secondary[from]!;
    this.docs[to] = this.docs[from]!;
  }

  private put(at: number, primary: number, secondary: number, doc: number): void {
    this.primary[at] = primary;
    this.secondary[at] = secondary;
    this.docs[at] = doc;
  }
}
