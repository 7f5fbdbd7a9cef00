/**
 * How protocol v1 rides on MQTT (PROTOCOL.md § MQTT carriage): one packet per MQTT message, without
 * COBS or delimiter; topics under `robo-train/v1/<robot-id>/`; QoS 0 for the real-time streams
 * (a late state or command is worth nothing) and QoS 1 for control and events (they must arrive).
 * The transport itself lives in `src/transport/`; this module only names topics and delivery options.
 */
import { MessageType } from './constants.js';
import { layoutOfType } from './schema.js';
import { UsageError } from '../util/errors.js';

export const MQTT_TOPIC_ROOT = 'robo-train/v1';

/** Retained UTF-8 payloads of the status topics; `offline` is also each client's Last Will. */
export const MqttStatus = { ONLINE: 'online', OFFLINE: 'offline' } as const;

/** MQTT 5 message expiry of real-time host frames [s]: the smallest non-zero value; the packet's deadline is the real guard. */
export const MQTT_COMMAND_EXPIRY_S = 1;
/** MQTT 5 message expiry of host control frames other than ESTOP [s]. */
export const MQTT_CONTROL_EXPIRY_S = 5;

const ROBOT_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface MqttTopics {
  /** Device → host, QoS 0: JOINT_STATE and device HEARTBEAT. */
  state: string;
  /** Host → device, QoS 0: JOINT_COMMAND and host HEARTBEAT. */
  command: string;
  /** Host → device, QoS 1: HELLO, TORQUE, ESTOP, ESTOP_CLEAR, CONFIGURE. */
  control: string;
  /** Device → host, QoS 1: DEVICE_INFO, FAULT, ACK. */
  event: string;
  /** Retained `online`/`offline` of the device's MQTT client (its Last Will says `offline`). */
  deviceStatus: string;
  /** Retained `online`/`offline` of the host's MQTT client (its Last Will says `offline`). */
  hostStatus: string;
}

export type MqttChannel = 'state' | 'command' | 'control' | 'event';

export interface MqttRoute {
  channel: MqttChannel;
  qos: 0 | 1;
  /** Packets are never retained: a retained command or state would be replayed to the next subscriber. */
  retain: false;
  /** MQTT 5 message expiry interval [s]; absent: none. */
  messageExpiryIntervalS?: number;
}

/** The topics of one robot; `robotId` is the calibration's robot id (letters, digits, '.', '_', '-'). */
export function mqttTopics(robotId: string): MqttTopics {
  if (!ROBOT_ID.test(robotId)) {
    throw new UsageError(`robot id '${robotId}' cannot name MQTT topics: use 1 to 64 letters, digits, '.', '_' or '-'`);
  }
  const base = `${MQTT_TOPIC_ROOT}/${robotId}`;
  return {
    state: `${base}/state`,
    command: `${base}/command`,
    control: `${base}/control`,
    event: `${base}/event`,
    deviceStatus: `${base}/device/status`,
    hostStatus: `${base}/host/status`,
  };
}

/** Where and how `sender` publishes a message of `type`; throws for a message that side never sends. */
export function mqttRoute(type: MessageType, sender: 'host' | 'device'): MqttRoute {
  const layout = layoutOfType(type);
  const allowed =
    layout !== undefined && (layout.direction === 'both' || layout.direction === (sender === 'host' ? 'host_to_device' : 'device_to_host'));
  if (!allowed) throw new RangeError(`a ${sender} does not send message id 0x${type.toString(16)}`);
  if (sender === 'device') {
    return type === MessageType.JOINT_STATE || type === MessageType.HEARTBEAT
      ? { channel: 'state', qos: 0, retain: false }
      : { channel: 'event', qos: 1, retain: false };
  }
  if (type === MessageType.JOINT_COMMAND || type === MessageType.HEARTBEAT) {
    return { channel: 'command', qos: 0, retain: false, messageExpiryIntervalS: MQTT_COMMAND_EXPIRY_S };
  }
  // A late ESTOP still only stops the robot; a late TORQUE enable or ESTOP_CLEAR must not arrive.
  if (type === MessageType.ESTOP) return { channel: 'control', qos: 1, retain: false };
  return { channel: 'control', qos: 1, retain: false, messageExpiryIntervalS: MQTT_CONTROL_EXPIRY_S };
}
