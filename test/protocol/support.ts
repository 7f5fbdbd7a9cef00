/**
 * Shared by the protocol tests: where the repository is, the golden vectors, the conversion from a
 * vector's snake_case fields to a `Message`, and the fast-check parameters from FC_SEED / FC_RUNS.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { MessageType, type Message, type MessageName } from '../../src/protocol/index.js';

/** The checkout: tests run compiled from dist/test/protocol/. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const PROTOCOL_DIR = join(REPO_ROOT, 'firmware-protocol');

export type Fields = Record<string, number | string | number[] | string[]>;

export interface ValidVector {
  name: string;
  description: string;
  message: MessageName;
  type: number;
  seq: number;
  canonical: boolean;
  fields: Fields;
  packet_hex: string;
  frame_hex: string;
}

export interface PeerFields {
  role: 'host' | 'device';
  protocol_major: number;
  protocol_minor: number;
  software_major: number;
  software_minor: number;
  software_patch: number;
  name: string;
}

export interface InvalidVector {
  name: string;
  description: string;
  error: string;
  packet_hex?: string;
  frame_hex: string;
  peer?: PeerFields;
}

export interface StreamVector {
  name: string;
  description: string;
  stream_hex: string;
  expect: ({ message: string } | { error: string })[];
}

export interface SchemaEntry {
  name: string;
  type: number;
  schema: string;
  seed: string;
}

export interface SequenceVectors {
  newer: { a: number; b: number; newer: boolean; delta: number }[];
  tracker: { seqs: number[]; events: string[]; received: number; lost: number; duplicates: number; restarts: number };
}

export function readVectorFile<T>(name: string): T {
  return JSON.parse(readFileSync(join(PROTOCOL_DIR, 'vectors', name), 'utf8')) as T;
}

export function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function num(fields: Fields, key: string): number {
  const value = fields[key];
  if (typeof value !== 'number') throw new Error(`vector field ${key} is not a number`);
  return value;
}

function str(fields: Fields, key: string): string {
  const value = fields[key];
  if (typeof value !== 'string') throw new Error(`vector field ${key} is not a string`);
  return value;
}

function nums(fields: Fields, key: string): number[] {
  const value = fields[key];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'number')) throw new Error(`vector field ${key} is not a number array`);
  return value as number[];
}

function strs(fields: Fields, key: string): string[] {
  const value = fields[key];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new Error(`vector field ${key} is not a string array`);
  return value as string[];
}

/** The message a vector's fields describe (wire names → TypeScript properties). */
export function messageFromFields(name: MessageName, f: Fields): Message {
  switch (name) {
    case 'HELLO':
      return {
        type: MessageType.HELLO,
        protocolMajor: num(f, 'protocol_major'),
        protocolMinor: num(f, 'protocol_minor'),
        hostVersion: { major: num(f, 'host_major'), minor: num(f, 'host_minor'), patch: num(f, 'host_patch') },
        stateRateHz: num(f, 'state_rate_hz'),
        hostName: str(f, 'host_name'),
      };
    case 'DEVICE_INFO':
      return {
        type: MessageType.DEVICE_INFO,
        protocolMajor: num(f, 'protocol_major'),
        protocolMinor: num(f, 'protocol_minor'),
        firmwareVersion: { major: num(f, 'firmware_major'), minor: num(f, 'firmware_minor'), patch: num(f, 'firmware_patch') },
        supportedModes: num(f, 'supported_modes'),
        minStateRateHz: num(f, 'min_state_rate_hz'),
        maxStateRateHz: num(f, 'max_state_rate_hz'),
        defaultStateRateHz: num(f, 'default_state_rate_hz'),
        defaultWatchdogMs: num(f, 'default_watchdog_ms'),
        deviceId: str(f, 'device_id'),
        jointNames: strs(f, 'joint_names'),
      };
    case 'HEARTBEAT':
      return { type: MessageType.HEARTBEAT, timeUs: num(f, 'time_us'), status: num(f, 'status') };
    case 'JOINT_STATE':
      return {
        type: MessageType.JOINT_STATE,
        deviceTimeUs: num(f, 'device_time_us'),
        deviceStatus: num(f, 'device_status'),
        lastCommandSeq: num(f, 'last_command_seq'),
        commandsRejected: num(f, 'commands_rejected'),
        activeMode: num(f, 'active_mode'),
        positionRad: Float32Array.from(nums(f, 'position_rad')),
        velocityRadS: Float32Array.from(nums(f, 'velocity_rad_s')),
        effortNm: Float32Array.from(nums(f, 'effort_nm')),
        jointStatus: Uint8Array.from(nums(f, 'joint_status')),
        // The wear fields (1.1) travel only in the vectors that have them.
        ...(f.wear_fields === undefined
          ? {}
          : {
              wear: {
                fields: num(f, 'wear_fields'),
                currentA: Float32Array.from(nums(f, 'current_a')),
                temperatureC: Float32Array.from(nums(f, 'temperature_c')),
                voltageV: Float32Array.from(nums(f, 'voltage_v')),
              },
            }),
      };
    case 'JOINT_COMMAND':
      return {
        type: MessageType.JOINT_COMMAND,
        deadlineUs: num(f, 'deadline_us'),
        stateSeq: num(f, 'state_seq'),
        mode: num(f, 'mode'),
        target: Float32Array.from(nums(f, 'target')),
      };
    case 'TORQUE':
      return { type: MessageType.TORQUE, enable: num(f, 'enable') === 1 };
    case 'ESTOP':
      return { type: MessageType.ESTOP };
    case 'ESTOP_CLEAR':
      return { type: MessageType.ESTOP_CLEAR };
    case 'CONFIGURE':
      return { type: MessageType.CONFIGURE, watchdogTimeoutMs: num(f, 'watchdog_timeout_ms'), stateRateHz: num(f, 'state_rate_hz') };
    case 'FAULT':
      return {
        type: MessageType.FAULT,
        deviceTimeUs: num(f, 'device_time_us'),
        code: num(f, 'code'),
        joint: num(f, 'joint'),
        flags: num(f, 'flags'),
        text: str(f, 'text'),
      };
    case 'ACK':
      return { type: MessageType.ACK, ackedType: num(f, 'acked_type'), ackedSeq: num(f, 'acked_seq'), result: num(f, 'result') };
  }
}

/** fast-check parameters: FC_SEED and FC_RUNS replay a failure; the defaults keep the run fixed. */
export function fcParams(defaultRuns: number): { seed: number; numRuns: number } {
  const seed = Number(process.env.FC_SEED ?? 20240611);
  const numRuns = Number(process.env.FC_RUNS ?? defaultRuns);
  return { seed, numRuns };
}
