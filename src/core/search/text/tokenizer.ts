/**
 * A run of letters, digits and combining marks, optionally joined by inner apostrophes
 * ("o'brien", "schindler's"). Everything else separates words.
 */
const WORD = /[\p{L}\p{N}\p{M}]+(?:['’][\p{L}\p{N}\p{M}]+)*/gu;

/** Called for each raw word with its UTF-16 offsets in the original text. */
export type RawWordVisitor = (raw: string, start: number, end: number) => void;

/** Splits text on anything that is not a letter or digit, keeping original offsets. */
export function forEachRawWord(text: string, visit: RawWordVisitor): void {
  let from = 0;
  for (;;) {
    // The pattern is shared, so a visitor that tokenizes too must not lose our place.
    WORD.lastIndex = from;
    const match = WORD.exec(text);
    if (match === null) return;
    from = match.index + match[0].length;
    visit(match[0], match.index, from);
  }
}
