import { type CsrMatrix, transpose } from './interaction-matrix.js';
import { type IndexSet, type Ranked, topK } from './top-k.js';

/** What the catalog knows about an item, independent of any interaction. */
export interface ItemContent {
  readonly title?: string;
  readonly categories?: readonly string[];
  /** Each key=value pair (each element, for arrays) is one feature; numbers match exactly. */
  readonly attributes?: Readonly<Record<string, string | number | boolean | readonly string[]>>;
}

export interface ContentOptions {
  /** Relative weight of each field's features; defaults 1, 1 and 0.5. */
  readonly titleWeight?: number;
  readonly categoryWeight?: number;
  readonly attributeWeight?: number;
}

/** Sorted feature indexes with values; L2-normalized unless empty. */
export interface SparseVector {
  readonly indices: Int32Array;
  readonly values: Float32Array;
}

export interface ContentModel {
  readonly vocabulary: ReadonlyMap<string, number>;
  readonly inverseDocumentFrequency: Float32Array;
  /** item x feature, each row L2-normalized, so a dot product is a cosine. */
  readonly itemVectors: CsrMatrix;
  /** feature x item: scoring one query walks only the items sharing a feature. */
  readonly featureItems: CsrMatrix;
  readonly options: Required<ContentOptions>;
}

const STOPWORDS = new Set([
  'a',
  'an',
  'and',
  'the',
  'of',
  'in',
  'on',
  'for',
  'to',
  'with',
  'by',
  'at',
  'or',
  'de',
  'la',
  'le',
]);

/** Lower-cased letter/digit runs, without one-letter tokens and common stopwords. */
export function tokenize(text: string): string[] {
  const tokens = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return tokens.filter((token) => token.length > 1 && !STOPWORDS.has(token));
}

/**
 * TF-IDF over title tokens, categories and attributes. This is what cold start runs on:
 * a new item has no interactions yet but has content, so its neighbours come from here;
 * a new user's first few items give a content profile to rank the catalog by.
 */
export function fitContent(
  items: readonly (ItemContent | undefined)[],
  options: ContentOptions = {},
): ContentModel {
  const resolved: Required<ContentOptions> = {
    titleWeight: options.titleWeight ?? 1,
    categoryWeight: options.categoryWeight ?? 1,
    attributeWeight: options.attributeWeight ?? 0.5,
  };
  const vocabulary = new Map<string, number>();
  const documentFrequency: number[] = [];
  const rawFeatures = items.map((content) => {
    const features = contentFeatures(content, resolved);
    for (const key of features.keys()) {
      let index = vocabulary.get(key);
      if (index === undefined) {
        index = vocabulary.size;
        vocabulary.set(key, index);
        documentFrequency.push(0);
      }
      documentFrequency[index]!++;
    }
    return features;
  });
  // Smoothed IDF (as scikit-learn's): a feature on every item still counts a little.
  const inverseDocumentFrequency = Float32Array.from(
    documentFrequency,
    (frequency) => Math.log((1 + items.length) / (1 + frequency)) + 1,
  );
  const partial = { vocabulary, inverseDocumentFrequency, options: resolved };
  const rows = rawFeatures.map((features) => weighFeatures(partial, features));
  const itemVectors = stackRows(rows, vocabulary.size);
  return { ...partial, itemVectors, featureItems: transpose(itemVectors) };
}

/** A vector for content not in the fitted set (a new item); unknown features are ignored. */
export function vectorizeContent(model: ContentModel, content: ItemContent): SparseVector {
  return weighFeatures(model, contentFeatures(content, model.options));
}

/** Cosine of `vector` with every fitted item. */
export function scoreByContent(
  model: ContentModel,
  vector: SparseVector,
  out = new Float32Array(model.itemVectors.rows),
): Float32Array {
  const { rowPtr, colIdx, values } = model.featureItems;
  for (let position = 0; position < vector.indices.length; position++) {
    const feature = vector.indices[position]!;
    const weight = vector.values[position]!;
    for (let entry = rowPtr[feature]!; entry < rowPtr[feature + 1]!; entry++) {
      out[colIdx[entry]!]! += weight * values[entry]!;
    }
  }
  return out;
}

/** Items whose content is closest to item `item`'s, the item itself left out. */
export function similarItemsByContent(model: ContentModel, item: number, k: number): Ranked {
  const { rowPtr, colIdx, values } = model.itemVectors;
  const vector = {
    indices: colIdx.subarray(rowPtr[item]!, rowPtr[item + 1]!),
    values: values.subarray(rowPtr[item]!, rowPtr[item + 1]!),
  };
  return topK(scoreByContent(model, vector), k, { has: (index) => index === item });
}

/**
 * A user's taste as content: the weighted sum of their items' vectors, normalized.
 * Negative weights (dislikes) subtract their items' features.
 */
export function userContentProfile(
  model: ContentModel,
  items: ArrayLike<number>,
  weights: ArrayLike<number>,
): SparseVector {
  const { rowPtr, colIdx, values } = model.itemVectors;
  const profile = new Map<number, number>();
  for (let position = 0; position < items.length; position++) {
    const item = items[position]!;
    const weight = weights[position]!;
    for (let entry = rowPtr[item]!; entry < rowPtr[item + 1]!; entry++) {
      profile.set(colIdx[entry]!, (profile.get(colIdx[entry]!) ?? 0) + weight * values[entry]!);
    }
  }
  return normalized(profile);
}

/** Recommends by content to a profile, excluding e.g. the items it was built from. */
export function recommendByContent(
  model: ContentModel,
  profile: SparseVector,
  k: number,
  exclude?: IndexSet,
): Ranked {
  return topK(scoreByContent(model, profile), k, exclude);
}

/** Feature key -> raw (pre-IDF) weight, field weights applied. */
function contentFeatures(
  content: ItemContent | undefined,
  options: Required<ContentOptions>,
): Map<string, number> {
  const features = new Map<string, number>();
  if (content === undefined) return features;
  const counts = new Map<string, number>();
  for (const token of tokenize(content.title ?? ''))
    counts.set(token, (counts.get(token) ?? 0) + 1);
  // Sublinear term frequency: a word repeated in a title is not twice as telling.
  for (const [token, count] of counts)
    features.set(`t:${token}`, options.titleWeight * (1 + Math.log(count)));
  for (const category of content.categories ?? []) {
    features.set(`c:${category.trim().toLowerCase()}`, options.categoryWeight);
  }
  for (const [key, value] of Object.entries(content.attributes ?? {})) {
    const elements = Array.isArray(value) ? value : [value];
    for (const element of elements) {
      features.set(`a:${key}=${String(element).trim().toLowerCase()}`, options.attributeWeight);
    }
  }
  return features;
}

function weighFeatures(
  model: Pick<ContentModel, 'vocabulary' | 'inverseDocumentFrequency'>,
  features: Map<string, number>,
): SparseVector {
  const weighted = new Map<number, number>();
  for (const [key, weight] of features) {
    const index = model.vocabulary.get(key);
    if (index !== undefined) weighted.set(index, weight * model.inverseDocumentFrequency[index]!);
  }
  return normalized(weighted);
}

function normalized(weights: Map<number, number>): SparseVector {
  const indices = Int32Array.from(weights.keys()).sort();
  const values = Float32Array.from(indices, (index) => weights.get(index)!);
  let norm = 0;
  for (const value of values) norm += value * value;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < values.length; i++) values[i]! /= norm;
  return { indices, values };
}

function stackRows(rows: readonly SparseVector[], columns: number): CsrMatrix {
  const rowPtr = new Int32Array(rows.length + 1);
  rows.forEach((row, index) => (rowPtr[index + 1] = rowPtr[index]! + row.indices.length));
  const colIdx = new Int32Array(rowPtr[rows.length]!);
  const values = new Float32Array(rowPtr[rows.length]!);
  rows.forEach((row, index) => {
    colIdx.set(row.indices, rowPtr[index]!);
    values.set(row.values, rowPtr[index]!);
  });
  return { rows: rows.length, cols: columns, rowPtr, colIdx, values };
}
