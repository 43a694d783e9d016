/** Hidden items stay indexed (unhiding is instant) but never come out of a search. */
export class Visibility {
  hidden = new Uint8Array(0);

  set(doc: number, hidden: boolean): void {
    if (doc >= this.hidden.length) {
      let capacity = Math.max(1024, this.hidden.length * 2);
      while (capacity <= doc) capacity *= 2;
      const bigger = new Uint8Array(capacity);
      bigger.set(this.hidden);
      this.hidden = bigger;
    }
    this.hidden[doc] = hidden ? 1 : 0;
  }

  isHidden(doc: number): boolean {
    return this.hidden[doc] === 1;
  }
}
