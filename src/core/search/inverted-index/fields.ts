import type { FieldWeights } from '../config.js';

export const TITLE_FIELD = 0;
export const CATEGORIES_FIELD = 1;
export const TAGS_FIELD = 2;
const TEXT_PREFIX = 'text.';

/**
 * Dense ids for searchable fields: title, categories and tags first, then each key of
 * `Item.text` in the order it was first seen. Postings are keyed by (term, field id).
 */
export class FieldRegistry {
  private readonly names: string[] = ['title', 'categories', 'tags'];
  private readonly ids = new Map<string, number>(this.names.map((name, id) => [name, id]));
  private readonly weightList: number[];

  constructor(private readonly weights: FieldWeights) {
    this.weightList = [weights.title, weights.categories, weights.tags];
  }

  get count(): number {
    return this.names.length;
  }

  name(field: number): string {
    return this.names[field] as string;
  }

  weight(field: number): number {
    return this.weightList[field] ?? 0;
  }

  idOf(name: string): number | undefined {
    return this.ids.get(name);
  }

  /** The id of text field `key`, registering it at first sight. */
  textField(key: string): number {
    const name = TEXT_PREFIX + key;
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.ids.set(name, id);
      this.weightList.push(this.weights.textFields[key] ?? this.weights.text);
    }
    return id;
  }

  /** Field ids a search may use: all of them, or those named (unknown names ignored). */
  select(names: readonly string[] | undefined): number[] {
    const chosen: number[] = [];
    if (names === undefined) {
      for (let field = 0; field < this.names.length; field++)
        if (this.weight(field) > 0) chosen.push(field);
      return chosen;
    }
    for (const name of names) {
      if (name === 'text') {
        for (let field = TAGS_FIELD + 1; field < this.names.length; field++)
          if (this.weight(field) > 0 && !chosen.includes(field)) chosen.push(field);
        continue;
      }
      const field = this.ids.get(name);
      if (field !== undefined && this.weight(field) > 0 && !chosen.includes(field))
        chosen.push(field);
    }
    return chosen;
  }

  toJSON(): readonly string[] {
    return this.names;
  }

  static fromJSON(names: readonly string[], weights: FieldWeights): FieldRegistry {
    const registry = new FieldRegistry(weights);
    for (const name of names.slice(3)) {
      if (!name.startsWith(TEXT_PREFIX)) throw new Error(`unknown search field ${name}`);
      registry.textField(name.slice(TEXT_PREFIX.length));
    }
    return registry;
  }
}
