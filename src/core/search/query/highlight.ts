import type { Item } from '../../domain/item.js';
import type { FieldRegistry } from '../inverted-index/fields.js';
import { CATEGORIES_FIELD, TAGS_FIELD, TITLE_FIELD } from '../inverted-index/fields.js';
import type { TermDictionary } from '../inverted-index/term-dictionary.js';
import type { Analyzer } from '../text/analyzer.js';
import type { HighlightRange, Highlights } from './types.js';

/**
 * Marks the words of an item's searched fields that the query matched (through any
 * derivation: a typo or a completion highlights the whole word). Re-analyzes the
 * original text, so offsets point into what the caller displays.
 */
export function highlightItem(
  item: Item,
  fieldAllowed: Uint8Array,
  fields: FieldRegistry,
  analyzer: Analyzer,
  dictionary: TermDictionary,
  matched: Uint32Array,
): Highlights {
  const highlights: Record<string, HighlightRange[]> = {};
  const mark = (key: string, text: string): void => {
    let ranges: HighlightRange[] | undefined;
    analyzer.forEachWord(text, (word, start, end) => {
      const term = dictionary.idOf(word);
      if (term === undefined || (matched[term] ?? 0) === 0) return;
      (ranges ??= []).push([start, end]);
    });
    if (ranges !== undefined) highlights[key] = ranges;
  };
  if (fieldAllowed[TITLE_FIELD] === 1) mark('title', item.title);
  if (fieldAllowed[CATEGORIES_FIELD] === 1)
    item.categories.forEach((value, i) => mark(`categories.${i}`, value));
  if (fieldAllowed[TAGS_FIELD] === 1) item.tags.forEach((value, i) => mark(`tags.${i}`, value));
  for (const [key, text] of Object.entries(item.text)) {
    const field = fields.idOf(`text.${key}`);
    if (field !== undefined && fieldAllowed[field] === 1) mark(`text.${key}`, text);
  }
  return highlights;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/** `text` HTML-escaped, with each highlighted range wrapped in `open` ... `close`. */
export function markHighlights(
  text: string,
  ranges: readonly HighlightRange[],
  open = '<em>',
  close = '</em>',
): string {
  let out = '';
  let at = 0;
  for (const [start, end] of [...ranges].sort((a, b) => a[0] - b[0])) {
    if (start < at) continue;
    out += escapeHtml(text.slice(at, start)) + open + escapeHtml(text.slice(start, end)) + close;
    at = end;
  }
  return out + escapeHtml(text.slice(at));
}
