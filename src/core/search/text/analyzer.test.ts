import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeWords, EnglishAnalyzer } from './analyzer.js';
import { foldCase } from './fold.js';

const english = new EnglishAnalyzer();

test('folding lowercases and strips diacritics, including letters NFKD leaves alone', () => {
  assert.equal(foldCase('Crème Brûlée'), 'creme brulee');
  assert.equal(foldCase('ÅNGSTRÖM'), 'angstrom');
  assert.equal(foldCase('Straße Ærø Łódź'), 'strasse aero lodz');
  assert.equal(foldCase('ﬁne Ｆｕｌｌ'), 'fine full');
  assert.equal(foldCase('İstanbul'), 'istanbul');
});

test('words split on anything but letters and digits, with offsets into the original', () => {
  const words: [string, number, number][] = [];
  english.forEachWord('Wall-E (2008): «Pokémon» 3.5 stars!', (word, start, end) =>
    words.push([word, start, end]),
  );
  assert.deepEqual(words, [
    ['wall', 0, 4],
    ['e', 5, 6],
    ['2008', 8, 12],
    ['pokemon', 16, 23],
    ['3', 25, 26],
    ['5', 27, 28],
    ['stars', 29, 34],
  ]);
});

test('apostrophes: possessives drop, contractions join', () => {
  assert.deepEqual(analyzeWords(english, "Schindler's List"), ['schindler', 'list']);
  assert.deepEqual(analyzeWords(english, 'Don’t Look Now'), ['dont', 'look', 'now']);
  assert.deepEqual(analyzeWords(english, "O'Brien's 'quoted'"), ['obrien', 'quoted']);
});

test('non-Latin scripts are words too', () => {
  assert.deepEqual(analyzeWords(english, 'Москва 東京 Αθήνα'), ['москва', '東京', 'αθηνα']);
});

test('English stop words', () => {
  for (const word of ['the', 'of', 'and', 'a', 'with']) assert.ok(english.isStopWord(word), word);
  for (const word of ['matrix', 'shell', 'well', 'toy']) assert.ok(!english.isStopWord(word), word);
});
