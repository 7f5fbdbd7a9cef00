/**
 * The fleet's messages on the wire (docs/fleet.md): numbered transition batches from each robot to
 * the learner, and versioned actor weights from the learner to every robot. Both are one MQTT payload:
 * a u32 little-endian header length, a JSON header, zero padding to a multiple of 4 bytes, then the
 * float32 arrays the header lists, little-endian, in order.
 */
import { createHash } from 'node:crypto';
import type { ActorSpec, ActorWeights, DenseWeights } from '../rl/types.js';
import { RunFailedError, UsageError } from '../util/errors.js';

/** Format version of both messages; a peer of another version is refused by name. */
export const FLEET_WIRE_FORMAT = 1;

/** A fleet name names MQTT topics: no wildcards, no levels. */
export function checkFleetName(fleet: string): void {
  if (!/^[A-Za-z0-9_-]+$/.test(fleet))
    throw new UsageError(`--fleet '${fleet}' must be letters, digits, '-' or '_' (it names MQTT topics)`);
}

/** Topics of fleet `fleet` (`robo-train/fleet/<fleet>/...`); `+` in `transitions('+')` subscribes to every robot. */
export function fleetTopics(fleet: string): { weights: string; transitions: (robot: string) => string } {
  const root = `robo-train/fleet/${fleet}`;
  return { weights: `${root}/weights`, transitions: (robot) => `${root}/robots/${robot}/transitions` };
}

/** The observation and action sizes a robot acts in; the learner refuses a robot whose spaces differ from its own. */
export interface FleetSpaces {
  obsDim: number;
  actionDim: number;
}

export function describeSpaces(spaces: FleetSpaces): string {
  return `${spaces.obsDim} observations, ${spaces.actionDim} actions`;
}

/** `count` transitions of one robot, row-major, numbered per robot from 0 without gaps (a gap means dropped batches). */
export interface TransitionBatch extends FleetSpaces {
  robot: string;
  seq: number;
  /** The weights version (learner updates) the robot acted with; the learner's newest minus this is the policy lag. */
  weightsVersion: number;
  count: number;
  obs: Float32Array;
  action: Float32Array;
  reward: Float32Array;
  nextObs: Float32Array;
  /** 1 terminated, 0 not. */
  terminated: Float32Array;
  /** Episodes that ended within the batch. */
  episodeEnds: number;
}

/** A message that does not decode: the message says from which topic and why. */
export class FleetWireError extends RunFailedError {}

export function encodeTransitionBatch(batch: TransitionBatch): Uint8Array {
  const { robot, seq, weightsVersion, count, obsDim, actionDim, episodeEnds } = batch;
  const expected: [string, Float32Array, number][] = [
    ['obs', batch.obs, count * obsDim],
    ['action', batch.action, count * actionDim],
    ['reward', batch.reward, count],
    ['nextObs', batch.nextObs, count * obsDim],
    ['terminated', batch.terminated, count],
  ];
  for (const [name, array, length] of expected)
    if (array.length !== length) throw new RangeError(`transition batch: ${name} holds ${array.length} values, ${length} expected`);
  return pack({ format: FLEET_WIRE_FORMAT, kind: 'transitions', robot, seq, weightsVersion, count, obsDim, actionDim, episodeEnds }, [
    ...expected.map(([, array]) => array),
  ]);
}

export function decodeTransitionBatch(bytes: Uint8Array): TransitionBatch {
  const { header, arrays } = unpack(bytes, 'transitions');
  const count = integer(header, 'count');
  const obsDim = integer(header, 'obsDim');
  const actionDim = integer(header, 'actionDim');
  const lengths = [count * obsDim, count * actionDim, count, count * obsDim, count];
  if (arrays.length !== lengths.length || arrays.some((array, i) => array.length !== lengths[i]))
    throw new FleetWireError(`transition batch of ${count} rows does not hold the arrays its header announces`);
  if (typeof header['robot'] !== 'string') throw new FleetWireError('transition batch without a robot name');
  const [obs, action, reward, nextObs, terminated] = arrays as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  return {
    robot: header['robot'],
    seq: integer(header, 'seq'),
    weightsVersion: integer(header, 'weightsVersion'),
    count,
    obsDim,
    actionDim,
    episodeEnds: integer(header, 'episodeEnds'),
    obs,
    action,
    reward,
    nextObs,
    terminated,
  };
}

/** Actor weights as published: `weights.updates` is the version; the SHA-256 of the array bytes travels in the header. */
export function encodeWeights(weights: ActorWeights): Uint8Array {
  const arrays = weightArrays(weights);
  return pack({ format: FLEET_WIRE_FORMAT, kind: 'weights', version: weights.updates, spec: weights.spec, sha256: digest(arrays) }, arrays);
}

/** Decodes and verifies published weights; a checksum mismatch is refused (a robot keeps its last good weights). */
export function decodeWeights(bytes: Uint8Array): ActorWeights {
  const { header, arrays } = unpack(bytes, 'weights');
  const spec = header['spec'] as ActorSpec;
  if (digest(arrays) !== header['sha256']) throw new FleetWireError(`weights version ${String(header['version'])}: checksum mismatch`);
  let next = 0;
  const take = (): Float32Array => {
    const array = arrays[next++];
    if (!array) throw new FleetWireError(`weights version ${String(header['version'])} hold fewer arrays than their spec needs`);
    return array;
  };
  const dense = (inputs: number, outputs: number): DenseWeights => {
    const kernel = take();
    const bias = take();
    if (kernel.length !== inputs * outputs || bias.length !== outputs)
      throw new FleetWireError(`weights version ${String(header['version'])}: a layer's size does not match the spec`);
    return { kernel, bias, inputs, outputs };
  };
  const widths = [spec.obsDim, ...spec.hidden];
  const hidden = spec.hidden.map((width, i) => dense(widths[i], width));
  const latent = spec.hidden[spec.hidden.length - 1];
  const mean = dense(latent, spec.actionDim);
  const logStd = spec.head === 'gaussian' ? dense(latent, spec.actionDim) : null;
  const layerNorms = spec.layerNorm ? spec.hidden.map(() => ({ gain: take(), bias: take() })) : [];
  const gsdeLogStd = spec.head === 'gsde' ? take() : null;
  if (next !== arrays.length)
    throw new FleetWireError(`weights version ${String(header['version'])} hold more arrays than their spec needs`);
  return { spec, hidden, layerNorms, mean, logStd, gsdeLogStd, updates: integer(header, 'version') };
}

/** The arrays of an actor in wire order (the same order `decodeWeights` reads them back). */
function weightArrays(weights: ActorWeights): Float32Array[] {
  const layers = [...weights.hidden, weights.mean, ...(weights.logStd ? [weights.logStd] : [])];
  return [
    ...layers.flatMap((layer) => [layer.kernel, layer.bias]),
    ...weights.layerNorms.flatMap((norm) => [norm.gain, norm.bias]),
    ...(weights.gsdeLogStd ? [weights.gsdeLogStd] : []),
  ];
}

function digest(arrays: Float32Array[]): string {
  const hash = createHash('sha256');
  for (const array of arrays) hash.update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  return hash.digest('hex');
}

function pack(header: Record<string, unknown>, arrays: Float32Array[]): Uint8Array {
  const json = Buffer.from(JSON.stringify({ ...header, lengths: arrays.map((array) => array.length) }));
  const start = Math.ceil((4 + json.length) / 4) * 4;
  const out = Buffer.alloc(start + arrays.reduce((sum, array) => sum + array.byteLength, 0));
  out.writeUInt32LE(json.length, 0);
  json.copy(out, 4);
  let offset = start;
  for (const array of arrays) {
    // Float32 little-endian on the wire: copy element by element so that a big-endian host writes the same bytes.
    for (let i = 0; i < array.length; i++, offset += 4) out.writeFloatLE(array[i], offset);
  }
  return out;
}

function unpack(bytes: Uint8Array, kind: 'transitions' | 'weights'): { header: Record<string, unknown>; arrays: Float32Array[] } {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < 4) throw new FleetWireError(`${kind} message of ${buffer.length} bytes: too short`);
  const headerLength = buffer.readUInt32LE(0);
  if (4 + headerLength > buffer.length) throw new FleetWireError(`${kind} message: header of ${headerLength} bytes runs past its end`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buffer.subarray(4, 4 + headerLength).toString('utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new FleetWireError(`${kind} message: header is not JSON (${(error as Error).message})`);
  }
  if (header['format'] !== FLEET_WIRE_FORMAT)
    throw new FleetWireError(`${kind} message of format ${JSON.stringify(header['format'])}: this robo-train speaks ${FLEET_WIRE_FORMAT}`);
  if (header['kind'] !== kind) throw new FleetWireError(`a ${JSON.stringify(header['kind'])} message where ${kind} were expected`);
  const lengths = header['lengths'];
  if (!Array.isArray(lengths) || !lengths.every((length) => Number.isInteger(length) && length >= 0))
    throw new FleetWireError(`${kind} message: header without array lengths`);
  let offset = Math.ceil((4 + headerLength) / 4) * 4;
  const total = (lengths as number[]).reduce((sum, length) => sum + length * 4, 0);
  if (offset + total !== buffer.length)
    throw new FleetWireError(`${kind} message of ${buffer.length} bytes: its header announces ${offset + total}`);
  const arrays = (lengths as number[]).map((length) => {
    const array = new Float32Array(length);
    for (let i = 0; i < length; i++, offset += 4) array[i] = buffer.readFloatLE(offset);
    return array;
  });
  return { header, arrays };
}

function integer(header: Record<string, unknown>, name: string): number {
  const value = header[name];
  if (!Number.isInteger(value) || (value as number) < 0) throw new FleetWireError(`fleet message: ${name} is not a whole number >= 0`);
  return value as number;
}
