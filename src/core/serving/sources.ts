/** The retrieval sources a scenario can combine, in a fixed order (their slot in arrays). */
export const SOURCE_NAMES = ['cf', 'recent', 'trending', 'content', 'category-popular'] as const;

export type SourceName = (typeof SOURCE_NAMES)[number];

export const SOURCE_COUNT = SOURCE_NAMES.length;

const SLOTS: ReadonlyMap<string, number> = new Map(SOURCE_NAMES.map((name, slot) => [name, slot]));

export function sourceSlot(name: SourceName): number {
  return SLOTS.get(name)!;
}

export function isSourceName(name: string): name is SourceName {
  return SLOTS.has(name);
}
