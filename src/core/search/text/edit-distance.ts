/** Rows reused across calls: the function runs once per candidate word, in loops. */
const scratch: Int32Array[] = [new Int32Array(64), new Int32Array(64), new Int32Array(64)];

/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent transpositions, which are
 * the commonest typing slip), or `max + 1` as soon as it is known to exceed `max`.
 */
export function boundedEditDistance(a: string, b: string, max: number): number {
  const n = a.length;
  const m = b.length;
  if (Math.abs(n - m) > max) return max + 1;
  if (scratch[0]!.length <= m) for (let k = 0; k < 3; k++) scratch[k] = new Int32Array(2 * m + 2);
  let previous2 = scratch[0]!;
  let previous = scratch[1]!;
  let current = scratch[2]!;
  for (let j = 0; j <= m; j++) previous[j] = j;
  for (let i = 1; i <= n; i++) {
    current[0] = i;
    let rowMin = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= m; j++) {
      const cb = b.charCodeAt(j - 1);
      let value = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (ca === cb ? 0 : 1),
      );
      if (i > 1 && j > 1 && ca === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === cb)
        value = Math.min(value, previous2[j - 2]! + 1);
      current[j] = value;
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > max) return max + 1;
    const recycled = previous2;
    previous2 = previous;
    previous = current;
    current = recycled;
  }
  return Math.min(previous[m]!, max + 1);
}

/** Typos allowed in a query word of this length: none for short words, where one edit
 * already turns a word into many others. */
export function typoBudget(wordLength: number): number {
  if (wordLength <= 4) return 0;
  if (wordLength <= 8) return 1;
  return 2;
}
