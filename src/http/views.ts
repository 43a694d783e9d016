import type { Item } from '../core/domain/item.js';
import type { User } from '../core/domain/user.js';
import { KindredError } from '../errors/catalog.js';

export function itemView(item: Item): Record<string, unknown> {
  return {
    ...item,
    createdAt: new Date(item.createdAt).toISOString(),
    updatedAt: new Date(item.updatedAt).toISOString(),
  };
}

export function userView(user: User): Record<string, unknown> {
  return {
    ...user,
    createdAt: new Date(user.createdAt).toISOString(),
    updatedAt: new Date(user.updatedAt).toISOString(),
  };
}

/** Cursors are opaque to clients: the last dense index seen, tagged so typos are caught. */
export function encodeCursor(lastIndex: number): string {
  return Buffer.from(`k1:${lastIndex}`).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === '') return -1;
  const match = /^k1:(\d{1,10})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match)
    throw new KindredError('INVALID_CURSOR', 'the cursor was not issued by this engine', {
      cursor,
    });
  return Number(match[1]);
}
