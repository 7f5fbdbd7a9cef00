/** fast-check generators of valid v1 messages, every field over its whole wire range. */
import fc from 'fast-check';
import {
  DEVICE_ID_LEN,
  FAULT_TEXT_LEN,
  HOST_NAME_LEN,
  JOINT_NAME_LEN,
  MAX_JOINTS,
  MessageType,
  PROTOCOL_MAJOR,
  type Message,
} from '../../src/protocol/index.js';

/** Records with Object.prototype, as decoded messages have (fast-check's default is a null prototype). */
function record<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true });
}

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const timeUs = fc.maxSafeNat();
const printable = fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code));
const text = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: printable, maxLength });
const oneModeBit = fc.integer({ min: 0, max: 7 }).map((bit) => 1 << bit);
const version = record({ major: u8, minor: u8, patch: u16 });
const f32s = (n: number): fc.Arbitrary<Float32Array> =>
  fc.float32Array({ minLength: n, maxLength: n, noDefaultInfinity: true, noNaN: true });
const jointCount = fc.integer({ min: 1, max: MAX_JOINTS });

export const arbitraryMessage: fc.Arbitrary<Message> = fc.oneof(
  record({
    type: fc.constant(MessageType.HELLO),
    protocolMajor: fc.constant(PROTOCOL_MAJOR),
    protocolMinor: u8,
    hostVersion: version,
    stateRateHz: u16,
    hostName: text(HOST_NAME_LEN),
  }),
  record({
    type: fc.constant(MessageType.DEVICE_INFO),
    protocolMajor: fc.constant(PROTOCOL_MAJOR),
    protocolMinor: u8,
    firmwareVersion: version,
    supportedModes: u8,
    minStateRateHz: u16,
    maxStateRateHz: u16,
    defaultStateRateHz: u16,
    defaultWatchdogMs: u16,
    deviceId: text(DEVICE_ID_LEN),
    jointNames: fc.array(text(JOINT_NAME_LEN), { minLength: 1, maxLength: MAX_JOINTS }),
  }),
  record({ type: fc.constant(MessageType.HEARTBEAT), timeUs, status: u16 }),
  jointCount.chain((n) =>
    record({
      type: fc.constant(MessageType.JOINT_STATE),
      deviceTimeUs: timeUs,
      deviceStatus: u16,
      lastCommandSeq: u16,
      commandsRejected: u16,
      activeMode: fc.oneof(fc.constant(0), oneModeBit),
      positionRad: f32s(n),
      velocityRadS: f32s(n),
      effortNm: f32s(n),
      jointStatus: fc.uint8Array({ minLength: n, maxLength: n }),
    }),
  ),
  jointCount.chain((n) =>
    record({ type: fc.constant(MessageType.JOINT_COMMAND), deadlineUs: timeUs, stateSeq: u16, mode: oneModeBit, target: f32s(n) }),
  ),
  record({ type: fc.constant(MessageType.TORQUE), enable: fc.boolean() }),
  record({ type: fc.constant(MessageType.ESTOP) }),
  record({ type: fc.constant(MessageType.ESTOP_CLEAR) }),
  record({ type: fc.constant(MessageType.CONFIGURE), watchdogTimeoutMs: u16, stateRateHz: u16 }),
  record({ type: fc.constant(MessageType.FAULT), deviceTimeUs: timeUs, code: u16, joint: u8, flags: u8, text: text(FAULT_TEXT_LEN) }),
  record({ type: fc.constant(MessageType.ACK), ackedType: u16, ackedSeq: u16, result: u16 }),
);

export const arbitrarySeq = u16;
