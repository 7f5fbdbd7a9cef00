/**
 * robo-train firmware protocol v1, the TypeScript twin of `firmware-protocol/`: constants, message
 * types, packet and frame encoding, streaming decoding, sequence numbers, MQTT carriage.
 */
export * from './constants.js';
export * from './messages.js';
export { crc32c, crc32cUpdate, crc32cUpdateU32, crc32cFinish, CRC32C_INIT } from './crc32c.js';
export { cobsEncode, cobsEncodeInto, cobsDecode, cobsMaxEncodedLength } from './cobs.js';
export {
  LAYOUTS,
  layoutOfType,
  payloadLength,
  schemaString,
  type FieldSpec,
  type MessageLayout,
  type MessageSpec,
  type WireType,
  type Direction,
} from './schema.js';
export { encodePacket, encodePacketInto, encodeFrame, encodeFrameInto, EncodeError } from './encode.js';
export {
  FrameDecoder,
  PacketDecoder,
  decodePacket,
  newJointState,
  type DecodeResult,
  type DecoderOptions,
  type DecoderStats,
  type MessageListener,
  type PeerVersion,
  type Rejection,
} from './decode.js';
export { MQTT_REORDER_WINDOW, SEQ_MODULUS, nextSeq, seqDelta, seqIsNewer, SequenceTracker, type SeqEvent } from './sequence.js';
export { describeVersionMismatch } from './version.js';
export { copyJointWear } from './wear.js';
export {
  MQTT_TOPIC_ROOT,
  MQTT_COMMAND_EXPIRY_S,
  MQTT_CONTROL_EXPIRY_S,
  MqttStatus,
  mqttTopics,
  mqttRoute,
  type MqttTopics,
  type MqttRoute,
  type MqttChannel,
} from './mqtt.js';
