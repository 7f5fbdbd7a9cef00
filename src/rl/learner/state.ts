/**
 * Everything a learner needs to continue exactly where it stopped, independent of the engine: all
 * parameters in the canonical flat layout (see `params.ts`), the Adam moments, the targets, the
 * entropy coefficient with its optimizer state, the step counters and the RNG state.
 *
 * Serialised as one binary blob: the ASCII magic `RTLS`, a little-endian uint32 byte length of a
 * UTF-8 JSON header, the header, zero padding to a multiple of 4 bytes, then the float32 arrays
 * (little-endian) back to back in the order the header lists them.
 */
import type { RngState } from '../../util/rng.js';
import type { LearnerConfig } from './config.js';
import { UsageError } from '../../util/errors.js';

export const LEARNER_STATE_FORMAT = 1;

/** Names of the arrays of a state, in their serialised order. */
export const STATE_ARRAY_NAMES = [
  'actor',
  'actorMoment1',
  'actorMoment2',
  'critic',
  'criticMoment1',
  'criticMoment2',
  'criticTarget',
  'actorTarget',
] as const;
export type StateArrayName = (typeof STATE_ARRAY_NAMES)[number];

/** The learned numbers: each array in the canonical flat layout of its network. */
export interface LearnerArrays {
  actor: Float32Array;
  /** Adam first and second moments of the actor. */
  actorMoment1: Float32Array;
  actorMoment2: Float32Array;
  /** Both critics, back to back. */
  critic: Float32Array;
  criticMoment1: Float32Array;
  criticMoment2: Float32Array;
  criticTarget: Float32Array;
  /** TD3 only (SAC has no target actor): empty otherwise. */
  actorTarget: Float32Array;
}

/** The learned entropy coefficient of SAC and its (scalar) Adam state. */
export interface EntropyState {
  logEntCoef: number;
  moment1: number;
  moment2: number;
}

export interface LearnerState {
  format: typeof LEARNER_STATE_FORMAT;
  config: LearnerConfig;
  /** Gradient steps taken (critic optimizer steps). */
  updates: number;
  /** Actor optimizer steps taken (fewer than `updates` with TD3's policy delay). */
  actorUpdates: number;
  rng: RngState;
  /** SAC with entCoef 'auto' only, else null. */
  entropy: EntropyState | null;
  arrays: LearnerArrays;
}

/** The JSON header of a serialised state. */
export interface LearnerStateHeader {
  format: number;
  config: LearnerConfig;
  updates: number;
  actorUpdates: number;
  rng: RngState;
  entropy: EntropyState | null;
  arrays: { name: StateArrayName; length: number }[];
}

const MAGIC = [0x52, 0x54, 0x4c, 0x53]; // "RTLS"

export class LearnerStateFormatError extends UsageError {
  constructor(problem: string) {
    super(`learner state: ${problem}`);
  }
}

/** One self-describing binary blob (see the module comment for the layout). */
export function serializeLearnerState(state: LearnerState): Uint8Array {
  const header: LearnerStateHeader = {
    format: state.format,
    config: state.config,
    updates: state.updates,
    actorUpdates: state.actorUpdates,
    // JSON has no NaN: the RNG's "no spare normal" travels as null.
    rng: { words: state.rng.words, spareNormal: Number.isFinite(state.rng.spareNormal) ? state.rng.spareNormal : null },
    entropy: state.entropy,
    arrays: STATE_ARRAY_NAMES.map((name) => ({ name, length: state.arrays[name].length })),
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = align4(8 + headerBytes.length);
  const floats = header.arrays.reduce((total, entry) => total + entry.length, 0);
  const bytes = new Uint8Array(dataStart + floats * 4);
  bytes.set(MAGIC, 0);
  const view = new DataView(bytes.buffer);
  view.setUint32(4, headerBytes.length, true);
  bytes.set(headerBytes, 8);
  let cursor = dataStart;
  for (const name of STATE_ARRAY_NAMES) {
    for (const value of state.arrays[name]) {
      view.setFloat32(cursor, value, true);
      cursor += 4;
    }
  }
  return bytes;
}

/** The JSON header alone (to inspect a checkpoint without loading it). */
export function readLearnerStateHeader(bytes: Uint8Array): LearnerStateHeader {
  return parseHeader(bytes).header;
}

export function deserializeLearnerState(bytes: Uint8Array): LearnerState {
  const { header, dataStart } = parseHeader(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const floats = header.arrays.reduce((total, entry) => total + entry.length, 0);
  if (bytes.byteLength !== dataStart + floats * 4) {
    throw new LearnerStateFormatError(`size ${bytes.byteLength} bytes, the header announces ${dataStart + floats * 4}`);
  }
  const arrays = {} as LearnerArrays;
  let cursor = dataStart;
  for (const name of STATE_ARRAY_NAMES) {
    const entry = header.arrays.find((candidate) => candidate.name === name);
    if (entry === undefined) throw new LearnerStateFormatError(`array '${name}' missing`);
    const values = new Float32Array(entry.length);
    for (let i = 0; i < entry.length; i++) {
      values[i] = view.getFloat32(cursor, true);
      cursor += 4;
    }
    arrays[name] = values;
  }
  return {
    format: LEARNER_STATE_FORMAT,
    config: header.config,
    updates: header.updates,
    actorUpdates: header.actorUpdates,
    rng: { words: header.rng.words, spareNormal: header.rng.spareNormal ?? Number.NaN },
    entropy: header.entropy,
    arrays,
  };
}

function parseHeader(bytes: Uint8Array): { header: LearnerStateHeader; dataStart: number } {
  if (bytes.byteLength < 8 || MAGIC.some((byte, i) => bytes[i] !== byte))
    throw new LearnerStateFormatError('not a learner state (magic RTLS missing)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(4, true);
  if (8 + headerLength > bytes.byteLength) throw new LearnerStateFormatError(`header of ${headerLength} bytes runs past the end`);
  let header: LearnerStateHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as LearnerStateHeader;
  } catch (error) {
    throw new LearnerStateFormatError(`header is not JSON (${(error as Error).message})`);
  }
  if (header.format !== LEARNER_STATE_FORMAT) {
    throw new LearnerStateFormatError(`format ${header.format}, this robo-train reads format ${LEARNER_STATE_FORMAT}`);
  }
  const order = header.arrays.map((entry) => entry.name).join(',');
  if (order !== STATE_ARRAY_NAMES.join(','))
    throw new LearnerStateFormatError(`arrays [${order}], expected [${STATE_ARRAY_NAMES.join(',')}]`);
  return { header, dataStart: align4(8 + headerLength) };
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
