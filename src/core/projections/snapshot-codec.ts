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

/**
 * One binary blob: magic, format version, header length, JSON header, then the raw
 * bytes of every typed array, 8-byte aligned so they can be viewed without copying.
 */
export function encodeSnapshot(contents: SnapshotContents): Uint8Array {
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
  const header = new TextEncoder().encode(
    JSON.stringify({
      checkpoint: contents.checkpoint,
      fingerprint: contents.fingerprint,
      json,
      descriptors,
    }),
  );
  const headerPadded = Math.ceil((12 + header.byteLength) / 8) * 8;
  const out = new Uint8Array(headerPadded + byteOffset);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC);
  dv.setUint32(4, FORMAT_VERSION);
  dv.setUint32(8, header.byteLength);
  out.set(header, 12);
  views.forEach((view, i) => {
    const descriptor = descriptors[i] as ArrayDescriptor;
    out.set(
      new Uint8Array(view.buffer, view.byteOffset, view.byteLength),
      headerPadded + descriptor.byteOffset,
    );
  });
  return out;
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
