/**
 * Letters that Unicode does not decompose into a base letter plus marks, so NFKD alone
 * would leave them unmatched by people typing on an ASCII keyboard.
 */
const UNDECOMPOSABLE: Readonly<Record<string, string>> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ı: 'i',
  ŋ: 'n',
  ħ: 'h',
  ŧ: 't',
  ĸ: 'k',
  ſ: 's',
};
const UNDECOMPOSABLE_PATTERN = /[ßæœøłđðþıŋħŧĸſ]/g;
const COMBINING_MARKS = /\p{M}+/gu;
const APOSTROPHES = /['’]/g;

export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * Lowercases and strips diacritics ("Crème Brûlée" -> "creme brulee"), also turning
 * compatibility forms (ligatures, full-width letters) into their plain letters. Most
 * catalog text is ASCII, which skips the costly normalization.
 */
export function foldCase(text: string): string {
  if (isAscii(text)) return text.toLowerCase();
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(COMBINING_MARKS, '')
    .replace(UNDECOMPOSABLE_PATTERN, (letter) => UNDECOMPOSABLE[letter] ?? letter);
}

/** Removes apostrophes inside a word so "don't" and "dont" meet. */
export function stripApostrophes(word: string): string {
  return word.indexOf("'") < 0 && word.indexOf('’') < 0 ? word : word.replace(APOSTROPHES, '');
}
