import type { Hash } from 'node:crypto';
import type { StoredEvent } from '../events/envelope.js';
import {
  EventTypes,
  type UserDeletedPayload,
  type UserPatchedPayload,
  type UserUpsertedPayload,
} from '../events/event-types.js';
import { applyUserPatch, userFromInput, type User } from '../domain/user.js';
import { IdMap } from './id-map.js';
import type { Projection, ProjectionState } from './projection.js';

/** The users read model. Deleting a user forgets their id and attributes for good. */
export class UserDirectory implements Projection {
  readonly name = 'users';
  ids = new IdMap();
  private users: (User | undefined)[] = [];
  private live = 0;
  /** Listeners told of each erased user index, so other read models can forget them too. */
  private readonly erasureListeners: ((index: number) => void)[] = [];

  get size(): number {
    return this.live;
  }

  get(id: string): User | undefined {
    const index = this.ids.indexOf(id);
    return index === undefined ? undefined : this.users[index];
  }

  at(index: number): User | undefined {
    return this.users[index];
  }

  get capacity(): number {
    return this.users.length;
  }

  page(afterIndex: number, limit: number): { users: User[]; lastIndex: number } {
    const users: User[] = [];
    let index = afterIndex + 1;
    for (; index < this.users.length && users.length < limit; index++) {
      const user = this.users[index];
      if (user) users.push(user);
    }
    return { users, lastIndex: index - 1 };
  }

  onErase(listener: (index: number) => void): void {
    this.erasureListeners.push(listener);
  }

  apply(event: StoredEvent): void {
    switch (event.type) {
      case EventTypes.userUpserted.type: {
        const { user } = event.payload as UserUpsertedPayload;
        const index = this.ids.intern(user.id);
        const previous = this.users[index];
        this.put(
          index,
          userFromInput(user, previous?.createdAt ?? event.occurredAt, event.occurredAt),
        );
        break;
      }
      case EventTypes.userPatched.type: {
        const { id, patch } = event.payload as UserPatchedPayload;
        const index = this.ids.indexOf(id);
        const current = index === undefined ? undefined : this.users[index];
        if (index !== undefined && current)
          this.put(index, applyUserPatch(current, patch, event.occurredAt));
        break;
      }
      case EventTypes.userDeleted.type: {
        const index = this.ids.forget((event.payload as UserDeletedPayload).id);
        if (index === undefined) break;
        if (this.users[index]) this.live--;
        this.users[index] = undefined;
        for (const listener of this.erasureListeners) listener(index);
        break;
      }
    }
  }

  /** The index of the user an interaction names, creating the user if unknown. */
  resolveForInteraction(userId: string, at: number): number {
    const known = this.ids.indexOf(userId);
    if (known !== undefined) return known;
    const index = this.ids.intern(userId);
    this.put(index, userFromInput({ id: userId }, at, at));
    return index;
  }

  private put(index: number, user: User): void {
    if (!this.users[index]) this.live++;
    this.users[index] = user;
  }

  checksum(hash: Hash): void {
    hash.update(`users:${this.users.length}:${this.live}\n`);
    for (let index = 0; index < this.users.length; index++) {
      hash.update(
        `${index}\t${this.ids.idOf(index)}\t${JSON.stringify(this.users[index] ?? null)}\n`,
      );
    }
  }

  snapshot(): ProjectionState {
    return {
      json: { ids: this.ids.toJSON(), users: this.users.map((u) => u ?? null) },
      arrays: {},
    };
  }

  restore(state: ProjectionState): void {
    const json = state.json as { ids: (string | null)[]; users: (User | null)[] };
    this.ids = IdMap.fromJSON(json.ids);
    this.users = json.users.map((user) => user ?? undefined);
    this.live = this.users.reduce((n, user) => (user ? n + 1 : n), 0);
  }
}
