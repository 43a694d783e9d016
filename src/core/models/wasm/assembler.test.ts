import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ModuleBuilder,
  f32,
  f32x4,
  forRange,
  get,
  i32,
  seq,
  set,
  signedLeb,
  unsignedLeb,
  v128,
} from './assembler.js';
import { assembleIalsKernels } from './ials-kernels.js';
import { wasm } from './runtime.js';

test('LEB128 encodings', () => {
  assert.deepEqual(unsignedLeb(0), [0]);
  assert.deepEqual(unsignedLeb(624485), [0xe5, 0x8e, 0x26]);
  assert.deepEqual(signedLeb(-1), [0x7f]);
  assert.deepEqual(signedLeb(-123456), [0xc0, 0xbb, 0x78]);
  assert.deepEqual(signedLeb(64), [0xc0, 0x00]);
});

test('an assembled SIMD loop runs over shared memory', () => {
  const module = new ModuleBuilder();
  // sum(pointer, count): Σ of count floats, four lanes at a time.
  module.addFunction('sum', ['i32', 'i32'], ['f32'], (scope) => {
    const [pointer, count] = scope.params as [(typeof scope.params)[0], (typeof scope.params)[0]];
    const offset = scope.local('i32');
    const accumulator = scope.local('v128');
    return seq(
      set(accumulator, v128.zero()),
      forRange(
        offset,
        i32.const(0),
        i32.shl(get(count), i32.const(2)),
        i32.const(16),
        set(
          accumulator,
          f32x4.add(get(accumulator), v128.load(i32.add(get(pointer), get(offset)))),
        ),
      ),
      f32.add(
        f32.add(f32x4.extractLane(get(accumulator), 0), f32x4.extractLane(get(accumulator), 1)),
        f32.add(f32x4.extractLane(get(accumulator), 2), f32x4.extractLane(get(accumulator), 3)),
      ),
    );
  });
  const bytes = module.assemble({ minimumPages: 1, maximumPages: 1 });
  assert.ok(wasm.validate(bytes));
  const memory = new wasm.Memory({ initial: 1, maximum: 1, shared: true });
  new Float32Array(memory.buffer, 64, 8).set([1, 2, 3, 4, 5, 6, 7, 8]);
  const instance = new wasm.Instance(new wasm.Module(bytes), { env: { memory } });
  const sum = instance.exports['sum'] as (pointer: number, count: number) => number;
  assert.equal(sum(64, 8), 36);
});

test('the iALS kernel module validates', () => {
  assert.ok(wasm.validate(assembleIalsKernels()));
});
