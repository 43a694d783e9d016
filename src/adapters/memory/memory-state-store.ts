import type { ListOptions, PutOptions, StateStore, StoredEntry } from '../../ports/state-store.js';
import { sameBytes } from '../../ports/same-bytes.js';

/** In-process state store for unit tests and throwaway runs; nothing survives the process. */
export class MemoryStateStore implements StateStore {
  private readonly namespaces = new Map<string, Map<string, Uint8Array>>();
  private closed = false;

  async get(namespace: string, key: string): Promise<Uint8Array | undefined> {
    this.assertOpen();
    const value = this.namespaces.get(namespace)?.get(key);
    // Copies in and out, so no caller can change a stored value by mutating its bytes.
    return value === undefined ? undefined : value.slice();
  }

  async put(
    namespace: string,
    key: string,
    value: Uint8Array,
    options: PutOptions = {},
  ): Promise<void> {
    this.assertOpen();
    let entries = this.namespaces.get(namespace);
    if (entries === undefined) {
      entries = new Map();
      this.namespaces.set(namespace, entries);
    }
    entries.set(key, options.handOver === true ? value : new Uint8Array(value));
  }

  async compareAndSet(
    namespace: string,
    key: string,
    expected: Uint8Array | undefined,
    value: Uint8Array,
  ): Promise<boolean> {
    this.assertOpen();
    const current = this.namespaces.get(namespace)?.get(key);
    if (!sameBytes(current, expected)) return false;
    await this.put(namespace, key, value);
    return true;
  }

  async delete(namespace: string, key: string): Promise<boolean> {
    this.assertOpen();
    return this.namespaces.get(namespace)?.delete(key) ?? false;
  }

  async list(namespace: string, options: ListOptions = {}): Promise<StoredEntry[]> {
    this.assertOpen();
    const { prefix = '', after, limit } = options;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
    }
    const entries = this.namespaces.get(namespace);
    if (entries === undefined) return [];
    const keys = [...entries.keys()]
      .filter((key) => key.startsWith(prefix))
      .filter((key) => after === undefined || compareBytewise(key, after) > 0)
      .sort(compareBytewise)
      .slice(0, limit);
    return keys.map((key) => ({ key, value: (entries.get(key) ?? new Uint8Array()).slice() }));
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the state store is closed');
  }
}

/**
 * Orders strings as their UTF-8 bytes would sort, which is code point order. Plain `<`
 * compares UTF-16 code units and so puts U+10000 and above before U+E000..U+FFFF.
 */
export function compareBytewise(left: string, right: string): number {
  let index = 0;
  while (index < left.length && index < right.length) {
    const leftPoint = left.codePointAt(index) ?? 0;
    const rightPoint = right.codePointAt(index) ?? 0;
    if (leftPoint !== rightPoint) return leftPoint - rightPoint;
    // Equal code points take the same number of UTF-16 units in both strings.
    index += leftPoint > 0xffff ? 2 : 1;
  }
  return left.length - right.length;
}
