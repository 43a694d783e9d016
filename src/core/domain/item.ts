export type AttributeScalar = string | number | boolean;
export type AttributeValue = AttributeScalar | readonly AttributeScalar[];
export type Attributes = Readonly<Record<string, AttributeValue>>;

/** A catalog entry as the read model holds it. Times are ms since the epoch. */
export interface Item {
  readonly id: string;
  readonly title: string;
  /** Free-text fields other than the title (description, brand, ...), searchable. */
  readonly text: Readonly<Record<string, string>>;
  readonly categories: readonly string[];
  readonly tags: readonly string[];
  readonly attributes: Attributes;
  /** Unavailable items (out of stock) are kept but not recommended. */
  readonly available: boolean;
  /** Hidden items are never shown, in recommendations or in search. */
  readonly hidden: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** What a client sends to create or replace an item; omitted fields take defaults. */
export interface ItemInput {
  readonly id: string;
  readonly title?: string;
  readonly text?: Readonly<Record<string, string>>;
  readonly categories?: readonly string[];
  readonly tags?: readonly string[];
  readonly attributes?: Attributes;
  readonly available?: boolean;
  readonly hidden?: boolean;
}

/** A partial update: present fields replace, `attributes` merge key by key (null removes). */
export interface ItemPatch {
  readonly title?: string;
  readonly text?: Readonly<Record<string, string>>;
  readonly categories?: readonly string[];
  readonly tags?: readonly string[];
  readonly attributes?: Readonly<Record<string, AttributeValue | null>>;
  readonly available?: boolean;
  readonly hidden?: boolean;
}

export function itemFromInput(input: ItemInput, createdAt: number, updatedAt: number): Item {
  return {
    id: input.id,
    title: input.title ?? '',
    text: input.text ?? {},
    categories: input.categories ?? [],
    tags: input.tags ?? [],
    attributes: input.attributes ?? {},
    available: input.available ?? true,
    hidden: input.hidden ?? false,
    createdAt,
    updatedAt,
  };
}

export function mergeAttributes(
  current: Attributes,
  patch: Readonly<Record<string, AttributeValue | null>>,
): Attributes {
  const merged: Record<string, AttributeValue> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

export function applyItemPatch(item: Item, patch: ItemPatch, updatedAt: number): Item {
  return {
    ...item,
    title: patch.title ?? item.title,
    text: patch.text ?? item.text,
    categories: patch.categories ?? item.categories,
    tags: patch.tags ?? item.tags,
    attributes: patch.attributes
      ? mergeAttributes(item.attributes, patch.attributes)
      : item.attributes,
    available: patch.available ?? item.available,
    hidden: patch.hidden ?? item.hidden,
    updatedAt,
  };
}

/** An item the engine learned of only through an interaction naming it. */
export function placeholderItem(id: string, at: number): Item {
  return itemFromInput({ id }, at, at);
}
