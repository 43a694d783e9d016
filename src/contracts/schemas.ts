import { Type, type Static, type TSchema } from '@sinclair/typebox';

/**
 * The shapes clients send, as JSON Schema. The HTTP layer validates requests with them
 * and publishes them in the OpenAPI document; the importer validates file rows with them.
 */
const ID_PATTERN = '^[^\\u0000-\\u001F\\u007F]+$';

export const EntityId = Type.String({
  minLength: 1,
  maxLength: 256,
  pattern: ID_PATTERN,
  description: 'External id: 1-256 characters, no control characters.',
});

const Scalar = Type.Union([Type.String({ maxLength: 10_000 }), Type.Number(), Type.Boolean()]);
export const AttributeValue = Type.Union([Scalar, Type.Array(Scalar, { maxItems: 1000 })]);
export const Attributes = Type.Record(
  Type.String({ minLength: 1, maxLength: 128 }),
  AttributeValue,
  {
    maxProperties: 256,
    description: 'Typed attributes: numbers, strings, booleans or lists of them.',
  },
);
const AttributesPatch = Type.Record(
  Type.String({ minLength: 1, maxLength: 128 }),
  Type.Union([AttributeValue, Type.Null()]),
  { maxProperties: 256, description: 'Attributes to set; null removes one.' },
);
const Labels = Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 256 });
const TextFields = Type.Record(
  Type.String({ minLength: 1, maxLength: 128 }),
  Type.String({ maxLength: 100_000 }),
  {
    maxProperties: 64,
    description: 'Free-text fields other than the title (description, brand...).',
  },
);

const itemFields = {
  title: Type.Optional(Type.String({ maxLength: 2000 })),
  text: Type.Optional(TextFields),
  categories: Type.Optional(Labels),
  tags: Type.Optional(Labels),
  attributes: Type.Optional(Attributes),
  available: Type.Optional(
    Type.Boolean({ description: 'False for out of stock: kept, not recommended.' }),
  ),
  hidden: Type.Optional(Type.Boolean({ description: 'Hidden items are never shown.' })),
};

export const ItemBody = Type.Object(
  { id: EntityId, ...itemFields },
  { additionalProperties: false, $id: 'ItemInput' },
);
export const ItemReplaceBody = Type.Object(
  { id: Type.Optional(EntityId), ...itemFields },
  { additionalProperties: false },
);
export const ItemPatchBody = Type.Object(
  {
    title: Type.Optional(Type.String({ maxLength: 2000 })),
    text: Type.Optional(TextFields),
    categories: Type.Optional(Labels),
    tags: Type.Optional(Labels),
    attributes: Type.Optional(AttributesPatch),
    available: Type.Optional(Type.Boolean()),
    hidden: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export const ItemView = Type.Object({
  id: Type.String(),
  title: Type.String(),
  text: Type.Record(Type.String(), Type.String()),
  categories: Type.Array(Type.String()),
  tags: Type.Array(Type.String()),
  attributes: Attributes,
  available: Type.Boolean(),
  hidden: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const UserBody = Type.Object(
  { id: EntityId, attributes: Type.Optional(Attributes) },
  { additionalProperties: false },
);
export const UserReplaceBody = Type.Object(
  { id: Type.Optional(EntityId), attributes: Type.Optional(Attributes) },
  { additionalProperties: false },
);
export const UserPatchBody = Type.Object(
  { attributes: Type.Optional(AttributesPatch) },
  { additionalProperties: false },
);
export const UserView = Type.Object({
  id: Type.String(),
  attributes: Attributes,
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const Timestamp = Type.Union([Type.Number(), Type.String({ maxLength: 64 })], {
  description:
    'Unix seconds (fractions allowed; numbers above 1e11 are read as milliseconds) or an ISO-8601 date-time.',
});

export const EventContext = Type.Object(
  {
    scenario: Type.Optional(Type.String({ maxLength: 128 })),
    recommendationId: Type.Optional(Type.String({ maxLength: 128 })),
    sessionId: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);

export const EventBody = Type.Object(
  {
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: ID_PATTERN })),
    type: Type.String({ minLength: 1, maxLength: 64 }),
    userId: EntityId,
    itemId: EntityId,
    value: Type.Optional(Type.Number()),
    timestamp: Type.Optional(Timestamp),
    context: Type.Optional(EventContext),
  },
  { additionalProperties: false },
);

export type ItemBodyT = Static<typeof ItemBody>;
export type ItemPatchBodyT = Static<typeof ItemPatchBody>;
export type UserBodyT = Static<typeof UserBody>;
export type UserPatchBodyT = Static<typeof UserPatchBody>;
export type EventBodyT = Static<typeof EventBody>;

export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Record(Type.String(), Type.Unknown()),
  }),
});

export function batchOf<T extends TSchema>(key: string, row: T, maxItems: number): TSchema {
  return Type.Object({ [key]: Type.Array(row, { maxItems }) }, { additionalProperties: false });
}
