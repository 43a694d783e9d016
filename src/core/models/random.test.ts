import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom, shuffleInPlace } from './random.js';

test('the same seed gives the same sequence and another seed a different one', () => {
  const a = createRandom(42);
  const b = createRandom(42);
  const c = createRandom(43);
  const first = Array.from({ length: 5 }, () => a.nextUint32());
  assert.deepEqual(
    first,
    Array.from({ length: 5 }, () => b.nextUint32()),
  );
  assert.notDeepEqual(
    first,
    Array.from({ length: 5 }, () => c.nextUint32()),
  );
});

test('uniform draws stay in range and average one half', () => {
  const random = createRandom(7);
  let sum = 0;
  for (let i = 0; i < 100_000; i++) {
    const value = random.next();
    assert.ok(value >= 0 && value < 1);
    sum += value;
    const integer = random.nextInt(10);
    assert.ok(Number.isInteger(integer) && integer >= 0 && integer < 10);
  }
  assert.ok(Math.abs(sum / 100_000 - 0.5) < 0.01);
});

test('gaussian draws have mean 0 and variance 1', () => {
  const random = createRandom(3);
  let sum = 0;
  let sumSquares = 0;
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    const value = random.nextGaussian();
    sum += value;
    sumSquares += value * value;
  }
  assert.ok(Math.abs(sum / n) < 0.02);
  assert.ok(Math.abs(sumSquares / n - 1) < 0.02);
});

test('shuffle permutes in place', () => {
  const values = Int32Array.from({ length: 50 }, (_, i) => i);
  shuffleInPlace(values, createRandom(1));
  assert.notDeepEqual([...values], [...Array(50).keys()]);
  assert.deepEqual(
    [...values].sort((a, b) => a - b),
    [...Array(50).keys()],
  );
});
