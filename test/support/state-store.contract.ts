import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { StateStore, StoredEntry } from '../../src/ports/state-store.js';

export interface StateStoreFixture {
  readonly store: StateStore;
  /**
   * Opens the same underlying store again. Tests close the previous instance first and
   * close the reopened one themselves; give it only for adapters that keep data.
   */
  readonly reopen?: () => Promise<StateStore>;
  /** Releases everything the fixture made (files, connections); runs after every test. */
  readonly cleanup: () => Promise<void>;
}

export type StateStoreFactory = () => Promise<StateStoreFixture>;

const NS = 'contract';

/**
 * The behaviour every StateStore adapter must show. Call it from an adapter's test file;
 * it registers one `describe` block whose tests each get a fresh, empty store.
 */
export function runStateStoreContract(name: string, factory: StateStoreFactory): void {
  describe(`StateStore contract: ${name}`, () => {
    const withStore = (
      title: string,
      body: (fixture: StateStoreFixture, context: TestContext) => Promise<void>,
    ): void => {
      test(title, async (context) => {
        const fixture = await factory();
        try {
          await body(fixture, context);
        } finally {
          await fixture.cleanup();
        }
      });
    };

    withStore('get of a missing key is undefined', async ({ store }) => {
      assert.equal(await store.get(NS, 'missing'), undefined);
      assert.deepEqual(await store.list(NS), []);
    });

    withStore('put then get returns the value; put again replaces it', async ({ store }) => {
      await store.put(NS, 'k', bytes('first'));
      assertBytes(await store.get(NS, 'k'), bytes('first'));
      await store.put(NS, 'k', bytes('second, longer'));
      assertBytes(await store.get(NS, 'k'), bytes('second, longer'));
      await store.put(NS, 'k', bytes('3'));
      assertBytes(await store.get(NS, 'k'), bytes('3'));
      assert.equal((await store.list(NS)).length, 1);
    });

    withStore('delete removes a key and reports whether it existed', async ({ store }) => {
      await store.put(NS, 'a', bytes('1'));
      await store.put(NS, 'b', bytes('2'));
      assert.equal(await store.delete(NS, 'a'), true);
      assert.equal(await store.get(NS, 'a'), undefined);
      assert.equal(await store.delete(NS, 'a'), false);
      assert.equal(await store.delete(NS, 'never'), false);
      assertBytes(await store.get(NS, 'b'), bytes('2'));
      await store.put(NS, 'a', bytes('again'));
      assertBytes(await store.get(NS, 'a'), bytes('again'));
    });

    withStore('list returns every entry in bytewise key order', async ({ store }) => {
      await putAll(store, KEYS_IN_ANY_ORDER);
      const listed = await store.list(NS);
      assert.deepEqual(keysOf(listed), sortedBytewise(KEYS_IN_ANY_ORDER));
      for (const entry of listed) assertBytes(entry.value, bytes(`value of ${entry.key}`));
    });

    withStore('list with prefix returns only keys starting with it', async ({ store }) => {
      await putAll(store, KEYS_IN_ANY_ORDER);
      const cases: Array<[string, string[]]> = [
        ['a/', ['a/1', 'a/10', 'a/2', 'a/é']],
        ['a', ['a', 'a/1', 'a/10', 'a/2', 'a/é', 'a0', 'ab']],
        ['x%', ['x%1']],
        ['x_', ['x_1']],
        ['é', ['é', 'éa']],
        ['\uffff', ['\uffff']],
        ['\u{10000}', ['\u{10000}']],
        ['nothing', []],
        ['', sortedBytewise(KEYS_IN_ANY_ORDER)],
      ];
      for (const [prefix, expected] of cases) {
        assert.deepEqual(keysOf(await store.list(NS, { prefix })), expected, `prefix ${prefix}`);
      }
    });

    withStore(
      'after is an exclusive cursor and pages through every key once',
      async ({ store }) => {
        await putAll(store, KEYS_IN_ANY_ORDER);
        const expected = sortedBytewise(KEYS_IN_ANY_ORDER);
        const seen: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await store.list(
            NS,
            after === undefined ? { limit: 3 } : { after, limit: 3 },
          );
          if (page.length === 0) break;
          assert.ok(page.length <= 3);
          seen.push(...keysOf(page));
          after = page.at(-1)?.key;
        }
        assert.deepEqual(seen, expected);

        assert.deepEqual(
          keysOf(await store.list(NS, { after: 'a/1' })),
          expected.slice(expected.indexOf('a/1') + 1),
        );
        assert.deepEqual(keysOf(await store.list(NS, { after: 'a/1x', limit: 2 })), ['a/2', 'a/é']);
        assert.deepEqual(
          keysOf(await store.list(NS, { after: '' })),
          expected.filter((key) => key !== ''),
        );
      },
    );

    withStore('prefix and after combine', async ({ store }) => {
      await putAll(store, KEYS_IN_ANY_ORDER);
      const list = async (prefix: string, after: string, limit?: number): Promise<string[]> =>
        keysOf(
          await store.list(NS, limit === undefined ? { prefix, after } : { prefix, after, limit }),
        );
      assert.deepEqual(await list('a/', 'a/1'), ['a/10', 'a/2', 'a/é']);
      assert.deepEqual(await list('a/', 'a/1', 1), ['a/10']);
      assert.deepEqual(await list('a/', 'a', 2), ['a/1', 'a/10'], 'after before the prefix');
      assert.deepEqual(await list('a/', 'a/', 2), ['a/1', 'a/10'], 'after equal to the prefix');
      assert.deepEqual(await list('a/', 'a/é'), []);
      assert.deepEqual(await list('a/', 'b'), [], 'after beyond the prefix');
    });

    withStore('limit caps the number of entries', async ({ store }) => {
      await putAll(store, KEYS_IN_ANY_ORDER);
      const expected = sortedBytewise(KEYS_IN_ANY_ORDER);
      assert.deepEqual(await store.list(NS, { limit: 0 }), []);
      assert.deepEqual(keysOf(await store.list(NS, { limit: 1 })), expected.slice(0, 1));
      assert.deepEqual(keysOf(await store.list(NS, { limit: 4 })), expected.slice(0, 4));
      assert.deepEqual(keysOf(await store.list(NS, { limit: 10_000 })), expected);
    });

    withStore('namespaces are isolated', async ({ store }) => {
      await store.put('alpha', 'shared', bytes('in alpha'));
      await store.put('alphabet', 'shared', bytes('in alphabet'));
      await store.put('alpha', 'only-alpha', bytes('1'));
      await store.put('', 'shared', bytes('in the empty namespace'));

      assertBytes(await store.get('alpha', 'shared'), bytes('in alpha'));
      assertBytes(await store.get('alphabet', 'shared'), bytes('in alphabet'));
      assertBytes(await store.get('', 'shared'), bytes('in the empty namespace'));
      assert.equal(await store.get('alphabet', 'only-alpha'), undefined);
      assert.deepEqual(keysOf(await store.list('alpha')), ['only-alpha', 'shared']);
      assert.deepEqual(keysOf(await store.list('alphabet')), ['shared']);
      assert.deepEqual(keysOf(await store.list('alph')), []);

      assert.equal(await store.delete('alphabet', 'only-alpha'), false);
      assert.equal(await store.delete('alpha', 'shared'), true);
      assertBytes(await store.get('alphabet', 'shared'), bytes('in alphabet'));
    });

    withStore('binary values round-trip exactly', async ({ store }) => {
      const everyByte = Uint8Array.from({ length: 512 }, (_, index) => index % 256);
      const invalidUtf8 = Uint8Array.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0xed, 0xa0, 0x80]);
      const framed = Uint8Array.from([9, 9, 1, 2, 3, 9, 9]);
      const view = framed.subarray(2, 5);
      await store.put(NS, 'every-byte', everyByte);
      await store.put(NS, 'invalid-utf8', invalidUtf8);
      await store.put(NS, 'empty', new Uint8Array(0));
      await store.put(NS, 'view', view);
      await store.put(NS, 'buffer', Buffer.from('a Node Buffer'));

      assertBytes(await store.get(NS, 'every-byte'), everyByte);
      assertBytes(await store.get(NS, 'invalid-utf8'), invalidUtf8);
      assertBytes(await store.get(NS, 'empty'), new Uint8Array(0));
      assertBytes(await store.get(NS, 'view'), Uint8Array.from([1, 2, 3]));
      assertBytes(await store.get(NS, 'buffer'), bytes('a Node Buffer'));
      const listed = await store.list(NS, { prefix: 'empty' });
      assert.equal(listed.length, 1);
      assertBytes(listed[0]?.value, new Uint8Array(0));
    });

    withStore('a 20 MB value round-trips exactly', async ({ store }) => {
      const large = new Uint8Array(randomBytes(20 * 1024 * 1024));
      await store.put(NS, 'large', large);
      assertBytes(await store.get(NS, 'large'), large);
      const [entry] = await store.list(NS);
      assertBytes(entry?.value, large);
    });

    withStore(
      'values handed over are stored whole, views of part of a buffer too',
      async ({ store }) => {
        const large = new Uint8Array(randomBytes(20 * 1024 * 1024));
        const expected = large.slice();
        await store.put(NS, 'whole', large, { handOver: true });
        const whole = new Uint8Array(randomBytes(20 * 1024 * 1024 + 16));
        const part = whole.subarray(8, 8 + 20 * 1024 * 1024);
        const partExpected = part.slice();
        await store.put(NS, 'part', part, { handOver: true });
        await store.put(NS, 'small', bytes('small'), { handOver: true });
        assertBytes(await store.get(NS, 'whole'), expected);
        assertBytes(await store.get(NS, 'part'), partExpected);
        assertBytes(await store.get(NS, 'small'), bytes('small'));
      },
    );

    withStore('stored values are not shared with callers', async ({ store }) => {
      const value = bytes('original');
      await store.put(NS, 'k', value);
      value.fill(0);
      const read = await store.get(NS, 'k');
      assertBytes(read, bytes('original'));
      read?.fill(0);
      assertBytes(await store.get(NS, 'k'), bytes('original'));
      (await store.list(NS))[0]?.value.fill(0);
      assertBytes(await store.get(NS, 'k'), bytes('original'));
    });

    withStore('compareAndSet writes only over the value expected', async ({ store }) => {
      const text = (value: string): Uint8Array => new TextEncoder().encode(value);
      assert.equal(await store.compareAndSet(NS, 'cas', undefined, text('one')), true);
      assert.deepEqual(await store.get(NS, 'cas'), text('one'));
      assert.equal(await store.compareAndSet(NS, 'cas', undefined, text('two')), false);
      assert.equal(await store.compareAndSet(NS, 'cas', text('on'), text('two')), false);
      assert.equal(await store.compareAndSet(NS, 'cas', text('one!'), text('two')), false);
      assert.deepEqual(await store.get(NS, 'cas'), text('one'));
      assert.equal(await store.compareAndSet(NS, 'cas', text('one'), text('two')), true);
      assert.equal(await store.compareAndSet(NS, 'cas', text('one'), text('three')), false);
      assert.deepEqual(await store.get(NS, 'cas'), text('two'));
      assert.equal(await store.compareAndSet(NS, 'absent', text('two'), text('x')), false);
      assert.equal(await store.get(NS, 'absent'), undefined);
      await store.delete(NS, 'cas');
      assert.equal(await store.compareAndSet(NS, 'cas', undefined, new Uint8Array(0)), true);
      assert.deepEqual(await store.get(NS, 'cas'), new Uint8Array(0));
      assert.equal(await store.compareAndSet(NS, 'cas', new Uint8Array(0), text('z')), true);
    });

    withStore(
      'racing compareAndSet calls: one winner from each value, and counters add up',
      async ({ store }) => {
        const text = (value: string): Uint8Array => new TextEncoder().encode(value);
        const won = await Promise.all(
          Array.from({ length: 10 }, (_, n) =>
            store.compareAndSet(NS, 'race', undefined, text(`${n}`)),
          ),
        );
        assert.equal(won.filter(Boolean).length, 1);
        await store.put(NS, 'counter', text('0'));
        const increment = async (): Promise<void> => {
          for (;;) {
            const current = (await store.get(NS, 'counter'))!;
            const next = text(String(Number(new TextDecoder().decode(current)) + 1));
            if (await store.compareAndSet(NS, 'counter', current, next)) return;
          }
        };
        await Promise.all(
          Array.from({ length: 5 }, async () => {
            for (let i = 0; i < 10; i++) await increment();
          }),
        );
        assert.equal(new TextDecoder().decode(await store.get(NS, 'counter')), '50');
      },
    );

    withStore('close is idempotent and later calls reject', async ({ store }) => {
      await store.put(NS, 'k', bytes('v'));
      await store.close();
      await store.close();
      await assert.rejects(store.get(NS, 'k'));
      await assert.rejects(store.put(NS, 'k', bytes('v')));
      await assert.rejects(store.list(NS));
    });

    withStore('writes survive close and reopen', async ({ store, reopen }, context) => {
      if (reopen === undefined) {
        context.skip('the adapter keeps nothing across instances');
        return;
      }
      await putAll(store, ['a', 'b', 'c']);
      await store.put(NS, 'b', bytes('replaced'));
      await store.delete(NS, 'c');
      await store.put('other', 'a', new Uint8Array(0));
      await store.close();

      const reopened = await reopen();
      try {
        assert.deepEqual(keysOf(await reopened.list(NS)), ['a', 'b']);
        assertBytes(await reopened.get(NS, 'a'), bytes('value of a'));
        assertBytes(await reopened.get(NS, 'b'), bytes('replaced'));
        assertBytes(await reopened.get('other', 'a'), new Uint8Array(0));
      } finally {
        await reopened.close();
      }
    });
  });
}

/** Chosen so that UTF-16 order, case-folded order and bytewise order all disagree. */
const KEYS_IN_ANY_ORDER = [
  'b',
  'a/2',
  '\u{10000}',
  'A',
  'a/é',
  'a',
  '',
  'a0',
  'a/10',
  'éa',
  '\uffff',
  'x_1',
  'Z',
  'a/1',
  'xa1',
  'é',
  'ab',
  'x%1',
  'xb1',
  ' ',
];

async function putAll(store: StateStore, keys: readonly string[]): Promise<void> {
  for (const key of keys) await store.put(NS, key, bytes(`value of ${key}`));
}

function sortedBytewise(keys: readonly string[]): string[] {
  return [...keys].sort((left, right) => Buffer.compare(Buffer.from(left), Buffer.from(right)));
}

function keysOf(entries: readonly StoredEntry[]): string[] {
  return entries.map((entry) => entry.key);
}

function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function assertBytes(actual: Uint8Array | undefined, expected: Uint8Array): void {
  assert.ok(actual instanceof Uint8Array, 'expected a Uint8Array');
  assert.equal(actual.byteLength, expected.byteLength, 'lengths differ');
  assert.ok(
    Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(expected),
    'bytes differ',
  );
}
