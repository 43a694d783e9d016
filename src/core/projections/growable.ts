type TypedArray = Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array;
type TypedArrayConstructor<T extends TypedArray> = { new (length: number): T };

/** A typed array that doubles its capacity as it fills, keeping memory compact. */
export function grow<T extends TypedArray>(
  array: T,
  needed: number,
  make: TypedArrayConstructor<T>,
  fill?: number,
): T {
  if (needed <= array.length) return array;
  let capacity = Math.max(16, array.length);
  while (capacity < needed) capacity *= 2;
  const bigger = new make(capacity);
  bigger.set(array);
  if (fill !== undefined) bigger.fill(fill, array.length);
  return bigger;
}
