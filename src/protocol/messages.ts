/**
 * The messages of protocol v1 as TypeScript values: a union discriminated by `type` (the wire id).
 *
 * Joint quantities travel as float32, so they are held in `Float32Array`s and survive a round trip
 * bit for bit. Every per-joint array of one message has the same length, the joint count (1–32).
 * Units: rad, rad/s, N·m, µs, ms, Hz, as the names say. Strings are printable ASCII.
 */
import type { MessageType } from './constants.js';

export interface SoftwareVersion {
  major: number;
  minor: number;
  patch: number;
}

/** Host → device: opens (or restarts) a session. */
export interface HelloMessage {
  type: typeof MessageType.HELLO;
  protocolMajor: number;
  protocolMinor: number;
  hostVersion: SoftwareVersion;
  /** JOINT_STATE rate the host asks for [Hz]; 0 asks for the device's default. */
  stateRateHz: number;
  /** At most 24 characters. */
  hostName: string;
}

/** Device → host: who the device is; the reply to HELLO and the device's first frame after boot. */
export interface DeviceInfoMessage {
  type: typeof MessageType.DEVICE_INFO;
  protocolMajor: number;
  protocolMinor: number;
  firmwareVersion: SoftwareVersion;
  /** Bit set of `CommandModeBit`s the device accepts. */
  supportedModes: number;
  minStateRateHz: number;
  maxStateRateHz: number;
  defaultStateRateHz: number;
  defaultWatchdogMs: number;
  /** At most 32 characters. */
  deviceId: string;
  /** One name per joint (at most 16 characters each), in wire order; shape (jointCount). */
  jointNames: string[];
}

/** Either direction: liveness. The host's heartbeat feeds the device's watchdog. */
export interface HeartbeatMessage {
  type: typeof MessageType.HEARTBEAT;
  /** Sender's monotonic clock [µs]. */
  timeUs: number;
  /** Device: `DeviceStatus` bits; host: 0. */
  status: number;
}

/** Device → host, at the state rate: the measured joints. */
export interface JointStateMessage {
  type: typeof MessageType.JOINT_STATE;
  /** Device clock when the joints were sampled [µs since boot]. */
  deviceTimeUs: number;
  /** `DeviceStatus` bits. */
  deviceStatus: number;
  /** Header sequence number of the last JOINT_COMMAND the device applied (0 before the first). */
  lastCommandSeq: number;
  /** JOINT_COMMANDs refused since the session began, modulo 65536. */
  commandsRejected: number;
  /** The `CommandModeBit` of the last applied command; 0 when none is active. */
  activeMode: number;
  /** Shape (jointCount) [rad]. */
  positionRad: Float32Array;
  /** Shape (jointCount) [rad/s]. */
  velocityRadS: Float32Array;
  /** Shape (jointCount) [N·m]. */
  effortNm: Float32Array;
  /** Shape (jointCount): `JointStatus` bits. */
  jointStatus: Uint8Array;
  /** The wear fields (protocol 1.1), when the device reports them (header flag WEAR); absent otherwise. */
  wear?: JointWear;
}

/** What the actuators measure of their own wear, per joint (JOINT_STATE, protocol 1.1). */
export interface JointWear {
  /** `WearField` bits: the quantities measured; the arrays of the others hold 0. */
  fields: number;
  /** Shape (jointCount) [A], signed as the actuator reports it. */
  currentA: Float32Array;
  /** Shape (jointCount) [°C]. */
  temperatureC: Float32Array;
  /** Shape (jointCount): input voltage at the actuator [V]. */
  voltageV: Float32Array;
}

/** Host → device, once per control period: targets answering one JOINT_STATE. */
export interface JointCommandMessage {
  type: typeof MessageType.JOINT_COMMAND;
  /** Device clock after which the command must not be applied [µs]. */
  deadlineUs: number;
  /** Header sequence number of the JOINT_STATE this command answers. */
  stateSeq: number;
  /** Exactly one `CommandModeBit`. */
  mode: number;
  /** Shape (jointCount): rad for POSITION, rad/s for VELOCITY, N·m for EFFORT. */
  target: Float32Array;
}

/** Host → device: enable or disable the actuators. */
export interface TorqueMessage {
  type: typeof MessageType.TORQUE;
  enable: boolean;
}

/** Host → device: stop now and latch. No payload. */
export interface EstopMessage {
  type: typeof MessageType.ESTOP;
}

/** Host → device: release the e-stop latch and latched faults whose cause is gone. No payload. */
export interface EstopClearMessage {
  type: typeof MessageType.ESTOP_CLEAR;
}

/** Host → device: session settings; 0 leaves a setting unchanged. */
export interface ConfigureMessage {
  type: typeof MessageType.CONFIGURE;
  watchdogTimeoutMs: number;
  stateRateHz: number;
}

/** Device → host: a fault or safety event. */
export interface FaultMessage {
  type: typeof MessageType.FAULT;
  deviceTimeUs: number;
  /** A `FaultCode` (0x8000–0xFFFF: vendor-specific). */
  code: number;
  /** Joint index, or `DEVICE_WIDE` (0xFF). */
  joint: number;
  /** `FaultFlag` bits. */
  flags: number;
  /** At most 48 characters. */
  text: string;
}

/** Device → host: the outcome of a host message; a NAK is an ACK whose result is not OK. */
export interface AckMessage {
  type: typeof MessageType.ACK;
  /** Message id of the frame answered. */
  ackedType: number;
  /** Header sequence number of the frame answered. */
  ackedSeq: number;
  /** A `ResultCode`. */
  result: number;
}

export type Message =
  | HelloMessage
  | DeviceInfoMessage
  | HeartbeatMessage
  | JointStateMessage
  | JointCommandMessage
  | TorqueMessage
  | EstopMessage
  | EstopClearMessage
  | ConfigureMessage
  | FaultMessage
  | AckMessage;
