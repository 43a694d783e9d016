import { SOURCE_NAMES, type SourceName } from '../domain/scenario.js';

export const SOURCE_COUNT = SOURCE_NAMES.length;

const SLOTS: ReadonlyMap<string, number> = new Map(SOURCE_NAMES.map((name, slot) => [name, slot]));

export function sourceSlot(name: SourceName): number {
  return SLOTS.get(name)!;
}

export function isSourceName(name: string): name is SourceName {
  return SLOTS.has(name);
}
