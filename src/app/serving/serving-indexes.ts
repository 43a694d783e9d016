// The indexes serving reads beside the model, kept up with catalog changes off the request
// path: the category index (the pipeline's category filter) and the content model.
import type { Logger } from 'pino';
import type { StoredEvent } from '../../core/events/envelope.js';
import { EventTypes } from '../../core/events/event-types.js';
import { type ContentModel, fitContent } from '../../core/models/content.js';
import type { Catalog } from '../../core/projections/catalog.js';
import { CategoryIndex } from '../../core/serving/category-index.js';

/** The catalog's categories are re-indexed at most this often while items change. */
const CATEGORY_REFRESH_MS = 1000;
const CONTENT_REFRESH_MS = 60_000;

export class ServingIndexes {
  private categoriesValue: CategoryIndex;
  private categoryTimer: NodeJS.Timeout | undefined;
  private categoriesBuiltAt = 0;
  private contentValue: ContentModel | undefined;
  private contentBuiltAt = Number.NEGATIVE_INFINITY;
  private contentDirty = false;
  private contentPending = false;

  /** `onCategories` is told of each rebuilt index (the pipeline holds one). */
  constructor(
    private readonly catalog: Catalog,
    private readonly logger: Logger,
    private readonly onCategories: (index: CategoryIndex) => void = () => undefined,
  ) {
    this.categoriesValue = CategoryIndex.build(catalog);
  }

  get categories(): CategoryIndex {
    return this.categoriesValue;
  }

  /** The content model, once fitted (`ensureContent`); the content source waits for it. */
  get content(): ContentModel | undefined {
    return this.contentValue;
  }

  /** Item events schedule a category rebuild and mark the content model stale. */
  onApplied(events: readonly StoredEvent[]): void {
    for (const event of events) {
      if (
        event.type === EventTypes.itemUpserted.type ||
        event.type === EventTypes.itemPatched.type ||
        event.type === EventTypes.itemDeleted.type
      ) {
        this.scheduleCategoryRebuild();
        this.contentDirty = true;
      }
    }
  }

  stop(): void {
    if (this.categoryTimer !== undefined) clearTimeout(this.categoryTimer);
    this.categoryTimer = undefined;
  }

  /**
   * The content model is fitted on demand (a scenario uses the `content` source), off the
   * request path: the source proposes nothing until it is ready. Refitted when the
   * catalog changed, at most once per CONTENT_REFRESH_MS.
   */
  ensureContent(): void {
    const now = Date.now();
    if (this.contentPending) return;
    if (
      this.contentValue !== undefined &&
      (!this.contentDirty || now - this.contentBuiltAt < CONTENT_REFRESH_MS)
    )
      return;
    this.contentPending = true;
    setImmediate(() => {
      try {
        this.contentDirty = false;
        const catalog = this.catalog;
        const items = Array.from({ length: catalog.capacity }, (_, index) => catalog.at(index));
        this.contentValue = fitContent(
          items.map((item) =>
            item === undefined
              ? undefined
              : {
                  title: item.title,
                  categories: item.categories,
                  attributes: item.attributes as Record<string, string | number | boolean>,
                },
          ),
        );
        this.contentBuiltAt = Date.now();
      } catch (error) {
        this.logger.warn({ err: error }, 'content model not fitted; the content source is off');
      } finally {
        this.contentPending = false;
      }
    });
  }

  /**
   * The category index follows catalog changes off the request path: rebuilt on a timer
   * after item events, at most once per CATEGORY_REFRESH_MS. Hidden, unavailable and
   * deleted items never wait for it: the gate reads the live catalog.
   */
  private scheduleCategoryRebuild(): void {
    if (this.categoryTimer !== undefined) return;
    const wait = Math.max(0, CATEGORY_REFRESH_MS - (Date.now() - this.categoriesBuiltAt));
    this.categoryTimer = setTimeout(() => {
      this.categoryTimer = undefined;
      this.categoriesValue = CategoryIndex.build(this.catalog);
      this.onCategories(this.categoriesValue);
      this.categoriesBuiltAt = Date.now();
    }, wait).unref();
  }
}
