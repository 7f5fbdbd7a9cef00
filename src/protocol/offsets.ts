/**
 * Where every field of every v1 message sits in its payload, taken from the layouts in `schema.ts`:
 * the encoder and the decoder read their offsets here and hard-code none, so a layout is written down
 * once (as MAVLink generates its codecs from one message definition).
 *
 * A field that follows per-joint arrays moves with the joint count: its place is
 * `fixed + perJoint × jointCount` bytes from the start of the payload, which `at` computes.
 */
import { MessageType } from './constants.js';
import { layoutOfType, type FieldPlace } from './schema.js';

/** The offset of a field at `place` in a payload with `jointCount` joints [bytes]. */
export function offsetOf(place: FieldPlace, jointCount: number): number {
  return place.fixed + place.perJoint * jointCount;
}

/** The place of each field of a message, by its schema name; throws (at load) on a name the schema lacks. */
function placesOf<Name extends string>(type: MessageType, names: readonly Name[]): Record<Name, FieldPlace> {
  const layout = layoutOfType(type)!;
  const places = {} as Record<Name, FieldPlace>;
  for (const name of names) {
    const place = layout.places.get(name);
    if (place === undefined) throw new Error(`bug: ${layout.name} has no field '${name}' in schema.ts`);
    places[name] = place;
  }
  return places;
}

/** The offsets of fields that come before any per-joint array: fixed numbers. */
function fixedOffsetsOf<Name extends string>(type: MessageType, names: readonly Name[]): Record<Name, number> {
  const places = placesOf(type, names);
  const offsets = {} as Record<Name, number>;
  for (const name of names) {
    if (places[name].perJoint !== 0) throw new Error(`bug: ${String(type)}.${name} follows a per-joint array; use its place`);
    offsets[name] = places[name].fixed;
  }
  return offsets;
}

export const HELLO_AT = fixedOffsetsOf(MessageType.HELLO, [
  'protocol_major',
  'protocol_minor',
  'host_major',
  'host_minor',
  'host_patch',
  'state_rate_hz',
  'host_name',
] as const);

export const DEVICE_INFO_AT = fixedOffsetsOf(MessageType.DEVICE_INFO, [
  'protocol_major',
  'protocol_minor',
  'firmware_major',
  'firmware_minor',
  'firmware_patch',
  'joint_count',
  'supported_modes',
  'min_state_rate_hz',
  'max_state_rate_hz',
  'default_state_rate_hz',
  'default_watchdog_ms',
  'device_id',
  'joint_names',
] as const);

export const HEARTBEAT_AT = fixedOffsetsOf(MessageType.HEARTBEAT, ['time_us', 'status'] as const);

export const JOINT_STATE_AT = fixedOffsetsOf(MessageType.JOINT_STATE, [
  'device_time_us',
  'device_status',
  'last_command_seq',
  'commands_rejected',
  'active_mode',
  'joint_count',
  'position_rad',
] as const);
export const JOINT_STATE_PLACES = placesOf(MessageType.JOINT_STATE, [
  'velocity_rad_s',
  'effort_nm',
  'joint_status',
  'wear_fields',
  'current_a',
  'temperature_c',
  'voltage_v',
] as const);

export const JOINT_COMMAND_AT = fixedOffsetsOf(MessageType.JOINT_COMMAND, [
  'deadline_us',
  'state_seq',
  'mode',
  'joint_count',
  'target',
] as const);

export const TORQUE_AT = fixedOffsetsOf(MessageType.TORQUE, ['enable'] as const);

export const CONFIGURE_AT = fixedOffsetsOf(MessageType.CONFIGURE, ['watchdog_timeout_ms', 'state_rate_hz'] as const);

export const FAULT_AT = fixedOffsetsOf(MessageType.FAULT, ['device_time_us', 'code', 'joint', 'flags', 'text'] as const);

export const ACK_AT = fixedOffsetsOf(MessageType.ACK, ['acked_type', 'acked_seq', 'result'] as const);
