export interface InteractionContext {
  readonly scenario?: string;
  readonly recommendationId?: string;
  readonly sessionId?: string;
}

/** Payload of an `interaction.recorded` event; its time is the envelope's occurredAt. */
export interface InteractionPayload {
  readonly userId: string;
  readonly itemId: string;
  readonly type: string;
  readonly value?: number;
  readonly context?: InteractionContext;
}

export interface InteractionTypeDefinition {
  /** How much one such interaction says about the user's taste; negative pushes away. */
  readonly weight: number;
  /** For `rating`-like types the value is the signal: weight is scaled by (value - midpoint). */
  readonly valueIsRating?: boolean;
  /** Whether an item with this interaction counts as seen (excluded from recommendations). */
  readonly marksSeen?: boolean;
}

export type InteractionTypeTable = Readonly<Record<string, InteractionTypeDefinition>>;

export const DEFAULT_INTERACTION_TYPES: InteractionTypeTable = {
  view: { weight: 1, marksSeen: false },
  click: { weight: 2, marksSeen: true },
  'add-to-cart': { weight: 4, marksSeen: true },
  purchase: { weight: 8, marksSeen: true },
  like: { weight: 4, marksSeen: true },
  rating: { weight: 1, valueIsRating: true, marksSeen: true },
  dislike: { weight: -4, marksSeen: true },
  'not-interested': { weight: -8, marksSeen: true },
  'remove-from-cart': { weight: -2, marksSeen: false },
};

/**
 * Interaction types as small integers so per-interaction arrays stay compact. The index
 * of a type never changes while the engine runs: new types are appended.
 */
export class InteractionTypes {
  private readonly names: string[];
  private readonly indexByName = new Map<string, number>();
  readonly weights: Float32Array;
  readonly ratingMask: Uint8Array;
  readonly seenMask: Uint8Array;

  constructor(
    readonly table: InteractionTypeTable = DEFAULT_INTERACTION_TYPES,
    readonly ratingMidpoint = 2.5,
  ) {
    this.names = Object.keys(table);
    if (this.names.length > 255) throw new Error('at most 255 interaction types');
    this.weights = new Float32Array(this.names.length);
    this.ratingMask = new Uint8Array(this.names.length);
    this.seenMask = new Uint8Array(this.names.length);
    this.names.forEach((name, index) => {
      const definition = table[name];
      if (!definition) return;
      this.indexByName.set(name, index);
      this.weights[index] = definition.weight;
      this.ratingMask[index] = definition.valueIsRating ? 1 : 0;
      this.seenMask[index] = definition.marksSeen === false ? 0 : 1;
    });
  }

  get size(): number {
    return this.names.length;
  }

  indexOf(name: string): number | undefined {
    return this.indexByName.get(name);
  }

  nameOf(index: number): string {
    const name = this.names[index];
    if (name === undefined) throw new RangeError(`no interaction type #${index}`);
    return name;
  }

  /** The signed strength of one interaction, as models consume it. */
  signal(typeIndex: number, value: number | undefined): number {
    const weight = this.weights[typeIndex] ?? 0;
    if (this.ratingMask[typeIndex] === 1 && value !== undefined) {
      return weight * (value - this.ratingMidpoint);
    }
    // Values of other types (a price, a quantity) are kept on the event but do not scale
    // the taste signal: one large purchase says no more about taste than a small one.
    return weight;
  }
}
