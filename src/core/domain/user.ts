import { mergeAttributes, type Attributes, type AttributeValue } from './item.js';

export interface User {
  readonly id: string;
  readonly attributes: Attributes;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface UserInput {
  readonly id: string;
  readonly attributes?: Attributes;
}

export interface UserPatch {
  readonly attributes?: Readonly<Record<string, AttributeValue | null>>;
}

export function userFromInput(input: UserInput, createdAt: number, updatedAt: number): User {
  return { id: input.id, attributes: input.attributes ?? {}, createdAt, updatedAt };
}

export function applyUserPatch(user: User, patch: UserPatch, updatedAt: number): User {
  return {
    ...user,
    attributes: patch.attributes
      ? mergeAttributes(user.attributes, patch.attributes)
      : user.attributes,
    updatedAt,
  };
}
