import type { ProjectionState } from './projection.js';

const MAGIC = 0x4b534e50; // "KSNP"
const FORMAT_VERSION = 1;

const ARRAY_TYPES = {
  Int32Array,
  Uint32Array,
  Uint8Array,
  Float32Array,
  Float64Array,
} as const;
type ArrayTypeName = keyof typeof ARRAY_TYPES;

interface ArrayDescriptor {
  readonly projection: string;
  readonly name: string;
  readonly type: ArrayTypeName;
  readonly byteOffset: number;
  readonly byteLength: number;
}

export interface SnapshotContents {
  /** The log offset the state reflects: replay resumes after it. */
  readonly checkpoint: number;
  /** Changes when a setting that shapes the read models changes; a mismatch forces replay. */
  readonly fingerprint: string;
  readonly states: Readonly<Record<string, ProjectionState>>;
}

function arrayTypeName(view: ArrayBufferView): ArrayTypeName {
  const name = view.constructor.name;
  if (name in ARRAY_TYPES) return name as ArrayTypeName;
  throw new TypeError(`cannot snapshot a ${name}`);
}

/** Array elements stringified per slice of the sliced encoding (a few ms of work). */
const JSON_CHUNK = 2000;
/** Header text encoded to bytes once this much has accumulated. */
const TEXT_CHUNK = 1 << 20;
/** Bytes of typed arrays copied per slice. */
const COPY_CHUNK = 8 << 20;

/**
 * A copy of a snapshot that later events cannot reach, so it can be encoded a slice at a
 * time while the read models go on changing: every typed array is copied, and so are the
 * arrays and plain objects of each state's `json` down to the arrays' elements. Those
 * elements (items, users, scenarios, terms) are kept by reference: projections replace
 * them on change, never change them in place (see `Projection.snapshot`). A state marked
 * `detached` is its projection's own copy already and is kept as it is.
 */
export function detachSnapshot(contents: SnapshotContents): SnapshotContents {
  const states: Record<string, ProjectionState> = {};
  for (const [projection, state] of Object.entries(contents.states))
    states[projection] = state.detached === true ? state : detachState(state);
  return { checkpoint: contents.checkpoint, fingerprint: contents.fingerprint, states };
}

/** One projection's state copied as `detachSnapshot` copies it, and marked `detached`. */
export function detachState(state: ProjectionState): ProjectionState {
  const arrays: Record<string, ArrayBufferView> = {};
  for (const [name, view] of Object.entries(state.arrays)) {
    arrayTypeName(view);
    arrays[name] = (view as Int32Array).slice();
  }
  return { json: detachJson(state.json), arrays, detached: true };
}

/** A copy of a state's `json` down to its arrays' elements (see `detachSnapshot`). */
export function detachJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.slice();
  if (!isPlainObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) copy[key] = detachJson(entry);
  return copy;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * One binary blob: magic, format version, header length, JSON header, then the raw
 * bytes of every typed array, 8-byte aligned so they can be viewed without copying.
 */
export function encodeSnapshot(contents: SnapshotContents): Uint8Array {
  const steps = encodeSnapshotInSlices(contents);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

/**
 * `encodeSnapshot`, a slice at a time: the generator yields between slices (a chunk of a
 * large JSON array, 8 MB of array bytes), so a server can encode between requests. The
 * bytes are the same. Give it a detached snapshot (`detachSnapshot`) when the read models
 * may change between slices.
 */
export function* encodeSnapshotInSlices(
  contents: SnapshotContents,
): Generator<void, Uint8Array, void> {
  const descriptors: ArrayDescriptor[] = [];
  const json: Record<string, unknown> = {};
  let byteOffset = 0;
  const views: ArrayBufferView[] = [];
  for (const [projection, state] of Object.entries(contents.states)) {
    json[projection] = state.json;
    for (const [name, view] of Object.entries(state.arrays)) {
      descriptors.push({
        projection,
        name,
        type: arrayTypeName(view),
        byteOffset,
        byteLength: view.byteLength,
      });
      views.push(view);
      byteOffset += Math.ceil(view.byteLength / 8) * 8;
    }
  }

  // The header, as JSON.stringify would write it, encoded a megabyte at a time; text is
  // only cut between whole JSON tokens, never inside a string.
  const encoder = new TextEncoder();
  const pieces: Uint8Array[] = [];
  let text = '';
  const emit = (part: string): void => {
    text += part;
    if (text.length >= TEXT_CHUNK) {
      pieces.push(encoder.encode(text));
      text = '';
    }
  };
  yield* writeJson(
    { checkpoint: contents.checkpoint, fingerprint: contents.fingerprint, json, descriptors },
    emit,
  );
  pieces.push(encoder.encode(text));
  const headerLength = pieces.reduce((sum, piece) => sum + piece.byteLength, 0);
  yield;

  const headerPadded = Math.ceil((12 + headerLength) / 8) * 8;
  // Not zero-filled (every byte is written below): zeroing ~100 MB held the loop too.
  const out = new Uint8Array(Buffer.allocUnsafeSlow(headerPadded + byteOffset).buffer);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC);
  dv.setUint32(4, FORMAT_VERSION);
  dv.setUint32(8, headerLength);
  let at = 12;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.byteLength;
  }
  out.fill(0, at, headerPadded);
  for (let i = 0; i < views.length; i++) {
    const view = views[i] as ArrayBufferView;
    const base = headerPadded + (descriptors[i] as ArrayDescriptor).byteOffset;
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    for (let from = 0; from < bytes.byteLength; from += COPY_CHUNK) {
      out.set(bytes.subarray(from, from + COPY_CHUNK), base + from);
      yield;
    }
    out.fill(0, base + bytes.byteLength, base + Math.ceil(bytes.byteLength / 8) * 8);
  }
  return out;
}

/** Writes `value` as JSON.stringify would, large arrays a chunk per slice. */
function* writeJson(value: unknown, emit: (part: string) => void): Generator<void, void, void> {
  if (Array.isArray(value) && value.length > JSON_CHUNK) {
    emit('[');
    for (let start = 0; start < value.length; start += JSON_CHUNK) {
      const chunk = JSON.stringify(value.slice(start, start + JSON_CHUNK));
      emit(start === 0 ? chunk.slice(1, -1) : ',' + chunk.slice(1, -1));
      yield;
    }
    emit(']');
    return;
  }
  if (isPlainObject(value) && typeof value['toJSON'] !== 'function') {
    emit('{');
    let first = true;
    for (const [key, entry] of Object.entries(value)) {
      if (entry === undefined || typeof entry === 'function' || typeof entry === 'symbol') continue;
      emit(`${first ? '' : ','}${JSON.stringify(key)}:`);
      first = false;
      yield* writeJson(entry, emit);
    }
    emit('}');
    return;
  }
  emit(JSON.stringify(value) ?? 'null');
}

export function decodeSnapshot(bytes: Uint8Array): SnapshotContents {
  if (bytes.byteLength < 12) throw new Error('snapshot truncated');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0) !== MAGIC) throw new Error('not a Kindred snapshot');
  if (dv.getUint32(4) !== FORMAT_VERSION) throw new Error('unsupported snapshot format');
  const headerLength = dv.getUint32(8);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength))) as {
    checkpoint: number;
    fingerprint: string;
    json: Record<string, unknown>;
    descriptors: ArrayDescriptor[];
  };
  const base = Math.ceil((12 + headerLength) / 8) * 8;
  // Copy once into an aligned buffer so typed arrays of any width can view it.
  const body = bytes.slice(base);
  const states: Record<string, { json: unknown; arrays: Record<string, ArrayBufferView> }> = {};
  for (const [projection, json] of Object.entries(header.json))
    states[projection] = { json, arrays: {} };
  for (const d of header.descriptors) {
    const make = ARRAY_TYPES[d.type];
    const state = states[d.projection];
    if (!state || d.byteOffset + d.byteLength > body.byteLength)
      throw new Error('snapshot corrupt');
    state.arrays[d.name] = new make(
      body.buffer,
      body.byteOffset + d.byteOffset,
      d.byteLength / make.BYTES_PER_ELEMENT,
    );
  }
  return { checkpoint: header.checkpoint, fingerprint: header.fingerprint, states };
}
