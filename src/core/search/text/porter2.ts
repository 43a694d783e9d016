/**
 * The Snowball English ("Porter2") stemmer, written from the published algorithm
 * (snowballstem.org, english.sbl). Works on lowercase words; 'Y' marks a consonant y
 * while stemming and is turned back before returning.
 */

const EXCEPTIONS: ReadonlyMap<string, string> = new Map([
  ['skis', 'ski'],
  ['skies', 'sky'],
  ['dying', 'die'],
  ['lying', 'lie'],
  ['tying', 'tie'],
  ['idly', 'idl'],
  ['gently', 'gentl'],
  ['ugly', 'ugli'],
  ['early', 'earli'],
  ['only', 'onli'],
  ['singly', 'singl'],
  ['sky', 'sky'],
  ['news', 'news'],
  ['howe', 'howe'],
  ['atlas', 'atlas'],
  ['cosmos', 'cosmos'],
  ['bias', 'bias'],
  ['andes', 'andes'],
]);

/** Words left alone once Step 1a has run. */
const INVARIANT_AFTER_1A: ReadonlySet<string> = new Set([
  'inning',
  'outing',
  'canning',
  'herring',
  'earring',
  'evening',
  'proceed',
  'exceed',
  'succeed',
]);

const REGION_PREFIXES = ['gener', 'commun', 'arsen'];
const DOUBLES: ReadonlySet<string> = new Set([
  'bb',
  'dd',
  'ff',
  'gg',
  'mm',
  'nn',
  'pp',
  'rr',
  'tt',
]);
const VALID_LI_ENDING = 'cdeghkmnrt';

const STEP2: readonly (readonly [string, string])[] = [
  ['ization', 'ize'],
  ['ational', 'ate'],
  ['fulness', 'ful'],
  ['ousness', 'ous'],
  ['iveness', 'ive'],
  ['tional', 'tion'],
  ['biliti', 'ble'],
  ['lessli', 'less'],
  ['entli', 'ent'],
  ['ation', 'ate'],
  ['alism', 'al'],
  ['aliti', 'al'],
  ['ousli', 'ous'],
  ['iviti', 'ive'],
  ['fulli', 'ful'],
  ['enci', 'ence'],
  ['anci', 'ance'],
  ['abli', 'able'],
  ['izer', 'ize'],
  ['ator', 'ate'],
  ['alli', 'al'],
  ['bli', 'ble'],
  ['ogi', 'og'],
  ['li', ''],
];

const STEP3: readonly (readonly [string, string])[] = [
  ['ational', 'ate'],
  ['tional', 'tion'],
  ['alize', 'al'],
  ['icate', 'ic'],
  ['iciti', 'ic'],
  ['ative', ''],
  ['ical', 'ic'],
  ['ness', ''],
  ['ful', ''],
];

const STEP4: readonly string[] = [
  'ement',
  'ance',
  'ence',
  'able',
  'ible',
  'ment',
  'ant',
  'ent',
  'ism',
  'ate',
  'iti',
  'ous',
  'ive',
  'ize',
  'ion',
  'al',
  'er',
  'ic',
];

function isVowel(ch: string | undefined): boolean {
  return ch === 'a' || ch === 'e' || ch === 'i' || ch === 'o' || ch === 'u' || ch === 'y';
}

/** Position just after the first non-vowel that follows a vowel, at or after `from`. */
function regionAfter(word: string, from: number): number {
  for (let i = from + 1; i < word.length; i++) {
    if (isVowel(word[i - 1]) && !isVowel(word[i])) return i + 1;
  }
  return word.length;
}

/** Whether `word` ends in a short syllable (the Snowball `shortv`). */
function endsInShortSyllable(word: string): boolean {
  const n = word.length;
  if (n >= 3) {
    const last = word[n - 1] as string;
    if (
      !isVowel(word[n - 3]) &&
      isVowel(word[n - 2]) &&
      !isVowel(last) &&
      last !== 'w' &&
      last !== 'x' &&
      last !== 'Y'
    )
      return true;
  }
  return n === 2 && isVowel(word[0]) && !isVowel(word[1]);
}

function markConsonantY(word: string): string {
  if (word.indexOf('y') < 0) return word;
  let out = '';
  for (let i = 0; i < word.length; i++) {
    const ch = word[i] as string;
    // Compared with the output so far: a y after a consonant-Y is not after a vowel.
    out += ch === 'y' && (i === 0 || isVowel(out[i - 1])) ? 'Y' : ch;
  }
  return out;
}

function step1a(word: string): string {
  if (word.endsWith("'s'")) word = word.slice(0, -3);
  else if (word.endsWith("'s")) word = word.slice(0, -2);
  else if (word.endsWith("'")) word = word.slice(0, -1);

  if (word.endsWith('sses')) return word.slice(0, -2);
  if (word.endsWith('ied') || word.endsWith('ies'))
    return word.length > 4 ? word.slice(0, -2) : word.slice(0, -1);
  if (word.endsWith('us') || word.endsWith('ss')) return word;
  if (word.endsWith('s')) {
    // Only when a vowel occurs before the letter preceding the s: "gaps" but not "gas".
    for (let i = 0; i < word.length - 2; i++) if (isVowel(word[i])) return word.slice(0, -1);
  }
  return word;
}

function step1b(word: string, r1: number): string {
  for (const suffix of ['eedly', 'eed']) {
    if (word.endsWith(suffix)) {
      return word.length - suffix.length >= r1 ? word.slice(0, -suffix.length) + 'ee' : word;
    }
  }
  let stem: string | undefined;
  for (const suffix of ['ingly', 'edly', 'ing', 'ed']) {
    if (word.endsWith(suffix)) {
      stem = word.slice(0, -suffix.length);
      break;
    }
  }
  if (stem === undefined) return word;
  let hasVowel = false;
  for (let i = 0; i < stem.length && !hasVowel; i++) hasVowel = isVowel(stem[i]);
  if (!hasVowel) return word;

  if (stem.endsWith('at') || stem.endsWith('bl') || stem.endsWith('iz')) return stem + 'e';
  if (DOUBLES.has(stem.slice(-2))) {
    // "add", "egg", "odd": a double right after a leading a/e/o is kept.
    const keep = stem.length === 3 && (stem[0] === 'a' || stem[0] === 'e' || stem[0] === 'o');
    return keep ? stem : stem.slice(0, -1);
  }
  if (r1 >= stem.length && endsInShortSyllable(stem)) return stem + 'e';
  return stem;
}

function step1c(word: string): string {
  const n = word.length;
  const last = word[n - 1];
  if ((last === 'y' || last === 'Y') && n > 2 && !isVowel(word[n - 2]))
    return word.slice(0, -1) + 'i';
  return word;
}

function step2(word: string, r1: number): string {
  for (const [suffix, replacement] of STEP2) {
    if (!word.endsWith(suffix)) continue;
    const at = word.length - suffix.length;
    if (at < r1) return word;
    if (suffix === 'ogi' && word[at - 1] !== 'l') return word;
    if (suffix === 'li' && !VALID_LI_ENDING.includes(word[at - 1] ?? ' ')) return word;
    return word.slice(0, at) + replacement;
  }
  return word;
}

function step3(word: string, r1: number, r2: number): string {
  for (const [suffix, replacement] of STEP3) {
    if (!word.endsWith(suffix)) continue;
    const at = word.length - suffix.length;
    if (at < r1 || (suffix === 'ative' && at < r2)) return word;
    return word.slice(0, at) + replacement;
  }
  return word;
}

function step4(word: string, r2: number): string {
  for (const suffix of STEP4) {
    if (!word.endsWith(suffix)) continue;
    const at = word.length - suffix.length;
    if (at < r2) return word;
    if (suffix === 'ion' && word[at - 1] !== 's' && word[at - 1] !== 't') return word;
    return word.slice(0, at);
  }
  return word;
}

function step5(word: string, r1: number, r2: number): string {
  const at = word.length - 1;
  if (word.endsWith('e')) {
    if (at >= r2 || (at >= r1 && !endsInShortSyllable(word.slice(0, at)))) return word.slice(0, at);
  } else if (word.endsWith('l')) {
    if (at >= r2 && word[at - 1] === 'l') return word.slice(0, at);
  }
  return word;
}

/** The Porter2 stem of a lowercase English word. */
export function porter2(input: string): string {
  const exception = EXCEPTIONS.get(input);
  if (exception !== undefined) return exception;
  if (input.length < 3) return input;

  let word = input.startsWith("'") ? input.slice(1) : input;
  word = markConsonantY(word);
  const prefix = REGION_PREFIXES.find((p) => word.startsWith(p));
  const r1 = prefix ? prefix.length : regionAfter(word, 0);
  const r2 = regionAfter(word, r1);

  word = step1a(word);
  if (!INVARIANT_AFTER_1A.has(word)) {
    word = step1b(word, r1);
    word = step1c(word);
    word = step2(word, r1);
    word = step3(word, r1, r2);
    word = step4(word, r2);
    word = step5(word, r1, r2);
  }
  return word.indexOf('Y') < 0 ? word : word.replace(/Y/g, 'y');
}
