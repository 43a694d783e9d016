import type { FastifyInstance } from 'fastify';
import {
  ItemBody,
  ItemPatchBody,
  ItemReplaceBody,
  ItemView,
  UserBody,
  UserPatchBody,
  UserReplaceBody,
  UserView,
} from '../../contracts/schemas.js';
import type { ItemInput, ItemPatch } from '../../core/domain/item.js';
import type { UserInput, UserPatch } from '../../core/domain/user.js';
import type { HttpContext } from '../context.js';
import { itemView, userView } from '../views.js';
import { registerEntityRoutes } from './entities.js';

export function registerCatalogRoutes(app: FastifyInstance, context: HttpContext): void {
  const { readModels, writes } = context.engine;
  registerEntityRoutes<ItemInput, ReturnType<typeof readModels.catalog.get> & object>(
    app,
    context,
    {
      plural: 'items',
      singular: 'item',
      notFound: 'ITEM_NOT_FOUND',
      createBody: ItemBody,
      replaceBody: ItemReplaceBody,
      patchBody: ItemPatchBody,
      view: ItemView,
      get: (id) => readModels.catalog.get(id),
      page: (after, limit) => {
        const page = readModels.catalog.page(after, limit);
        return {
          entities: page.items,
          lastIndex: page.lastIndex,
          capacity: readModels.catalog.capacity,
        };
      },
      toView: itemView,
      upsert: (inputs, options) => writes.upsertItems(inputs, options),
      patch: (id, patch, options) => writes.patchItem(id, patch as ItemPatch, options),
      remove: (id, options) => writes.deleteItem(id, options),
      deleteDescription:
        'The item leaves the catalog; its interaction counts stay in the aggregates.',
    },
  );
  registerEntityRoutes<UserInput, ReturnType<typeof readModels.users.get> & object>(app, context, {
    plural: 'users',
    singular: 'user',
    notFound: 'USER_NOT_FOUND',
    createBody: UserBody,
    replaceBody: UserReplaceBody,
    patchBody: UserPatchBody,
    view: UserView,
    get: (id) => readModels.users.get(id),
    page: (after, limit) => {
      const page = readModels.users.page(after, limit);
      return {
        entities: page.users,
        lastIndex: page.lastIndex,
        capacity: readModels.users.capacity,
      };
    },
    toView: userView,
    upsert: (inputs, options) => writes.upsertUsers(inputs, options),
    patch: (id, patch, options) => writes.patchUser(id, patch as UserPatch, options),
    remove: (id, options) => writes.deleteUser(id, options),
    deleteDescription:
      'Right to be forgotten: the user, their attributes and their interaction history leave every read model. ' +
      'Aggregate counters (how often an item was bought) keep their counts.',
  });
}
