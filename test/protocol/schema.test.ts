/**
 * Breaking-change guard. Protocol v1 evolves by appending only (PROTOCOL.md § 13): every message id,
 * schema string, seed and size, and every constant below, must stay as pinned here. New messages and
 * new constants are allowed. The same tables are checked against PROTOCOL.md, the C header and the
 * independent vector generator, so that the four descriptions of the protocol cannot drift apart.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CommandModeBit,
  DEVICE_WIDE,
  DeviceStatus,
  FaultCode,
  FaultFlag,
  HEADER_LEN,
  HeaderFlag,
  WearField,
  CRC_LEN,
  JointStatus,
  LAYOUTS,
  MAX_FRAME_LEN,
  MAX_JOINTS,
  MAX_PACKET_LEN,
  MAX_PAYLOAD_LEN,
  MessageType,
  PROTOCOL_MAJOR,
  REJECT_REASONS,
  ResultCode,
  WATCHDOG_MAX_MS,
  WATCHDOG_MIN_MS,
  COMMAND_HORIZON_US,
  crc32c,
  layoutOfType,
} from '../../src/protocol/index.js';
import { PROTOCOL_DIR, readVectorFile, type SchemaEntry, type ValidVector } from './support.js';

const PINNED_LAYOUTS = [
  {
    type: 0x0001,
    name: 'HELLO',
    schema: 'HELLO:u8 protocol_major;u8 protocol_minor;u8 host_major;u8 host_minor;u16 host_patch;u16 state_rate_hz;char[24] host_name',
    seed: 0x798ea87d,
    fixedLen: 32,
    perJointLen: 0,
  },
  {
    type: 0x0002,
    name: 'DEVICE_INFO',
    schema:
      'DEVICE_INFO:u8 protocol_major;u8 protocol_minor;u8 firmware_major;u8 firmware_minor;u16 firmware_patch;u8 joint_count;u8 supported_modes;' +
      'u16 min_state_rate_hz;u16 max_state_rate_hz;u16 default_state_rate_hz;u16 default_watchdog_ms;char[32] device_id;char[16][n] joint_names',
    seed: 0xccf7ba96,
    fixedLen: 48,
    perJointLen: 16,
  },
  { type: 0x0003, name: 'HEARTBEAT', schema: 'HEARTBEAT:u64 time_us;u16 status', seed: 0x983e548e, fixedLen: 10, perJointLen: 0 },
  {
    type: 0x0010,
    name: 'JOINT_STATE',
    schema:
      'JOINT_STATE:u64 device_time_us;u16 device_status;u16 last_command_seq;u16 commands_rejected;u8 active_mode;u8 joint_count;' +
      'f32[n] position_rad;f32[n] velocity_rad_s;f32[n] effort_nm;u8[n] joint_status',
    seed: 0xbfcee6a0,
    fixedLen: 16,
    perJointLen: 13,
  },
  {
    type: 0x0011,
    name: 'JOINT_COMMAND',
    schema: 'JOINT_COMMAND:u64 deadline_us;u16 state_seq;u8 mode;u8 joint_count;f32[n] target',
    seed: 0x52c0b46a,
    fixedLen: 12,
    perJointLen: 4,
  },
  { type: 0x0020, name: 'TORQUE', schema: 'TORQUE:u8 enable', seed: 0x5bd23630, fixedLen: 1, perJointLen: 0 },
  { type: 0x0021, name: 'ESTOP', schema: 'ESTOP:', seed: 0xdd5c93d6, fixedLen: 0, perJointLen: 0 },
  { type: 0x0022, name: 'ESTOP_CLEAR', schema: 'ESTOP_CLEAR:', seed: 0xc4dd9fb1, fixedLen: 0, perJointLen: 0 },
  {
    type: 0x0023,
    name: 'CONFIGURE',
    schema: 'CONFIGURE:u16 watchdog_timeout_ms;u16 state_rate_hz',
    seed: 0x9e678a07,
    fixedLen: 4,
    perJointLen: 0,
  },
  {
    type: 0x0030,
    name: 'FAULT',
    schema: 'FAULT:u64 device_time_us;u16 code;u8 joint;u8 flags;char[48] text',
    seed: 0x4830aa42,
    fixedLen: 60,
    perJointLen: 0,
  },
  { type: 0x0031, name: 'ACK', schema: 'ACK:u16 acked_type;u16 acked_seq;u16 result', seed: 0x71af98e1, fixedLen: 6, perJointLen: 0 },
];

const PINNED_CONSTANTS: Record<string, Record<string, number>> = {
  CommandModeBit: { POSITION: 0x01, VELOCITY: 0x02, EFFORT: 0x04 },
  DeviceStatus: {
    TORQUE_ENABLED: 0x0001,
    ESTOPPED: 0x0002,
    WATCHDOG_EXPIRED: 0x0004,
    FAULT: 0x0008,
    SESSION: 0x0010,
    LIMIT_ACTIVE: 0x0020,
  },
  JointStatus: { TORQUE_ON: 0x01, CLAMPED: 0x02, AT_LIMIT: 0x04, OVERLOAD: 0x08, OVERHEAT: 0x10, SENSOR_ERROR: 0x20, FAULT: 0x40 },
  FaultCode: {
    OVERCURRENT: 1,
    OVERHEAT: 2,
    UNDERVOLTAGE: 3,
    OVERVOLTAGE: 4,
    SENSOR: 5,
    POSITION_LIMIT: 6,
    FOLLOWING_ERROR: 7,
    WATCHDOG_EXPIRED: 8,
    ESTOP_INPUT: 9,
    COMMUNICATION: 10,
    INTERNAL: 11,
  },
  FaultFlag: { LATCHED: 0x01, REBOOT_REQUIRED: 0x02 },
  HeaderFlag: { WEAR: 0x10 },
  WearField: { CURRENT: 0x01, TEMPERATURE: 0x02, VOLTAGE: 0x04 },
  ResultCode: {
    OK: 0,
    VERSION_MISMATCH: 1,
    NO_SESSION: 2,
    INVALID_VALUE: 3,
    UNSUPPORTED_MODE: 4,
    JOINT_COUNT: 5,
    STALE: 6,
    OUT_OF_ORDER: 7,
    ESTOPPED: 8,
    FAULT_ACTIVE: 9,
    TORQUE_DISABLED: 10,
    ESTOP_INPUT_ACTIVE: 11,
    UNSUPPORTED_MESSAGE: 12,
  },
  limits: {
    PROTOCOL_MAJOR: 1,
    HEADER_LEN: 8,
    CRC_LEN: 4,
    MAX_PACKET_LEN: 1024,
    MAX_PAYLOAD_LEN: 1012,
    MAX_FRAME_LEN: 1030,
    MAX_JOINTS: 32,
    WATCHDOG_MIN_MS: 10,
    WATCHDOG_MAX_MS: 10_000,
    COMMAND_HORIZON_US: 1_000_000,
    DEVICE_WIDE: 0xff,
  },
};

const CURRENT_CONSTANTS: Record<string, Record<string, number>> = {
  CommandModeBit,
  DeviceStatus,
  JointStatus,
  FaultCode,
  FaultFlag,
  HeaderFlag,
  WearField,
  ResultCode,
  limits: {
    PROTOCOL_MAJOR,
    HEADER_LEN,
    CRC_LEN,
    MAX_PACKET_LEN,
    MAX_PAYLOAD_LEN,
    MAX_FRAME_LEN,
    MAX_JOINTS,
    WATCHDOG_MIN_MS,
    WATCHDOG_MAX_MS,
    COMMAND_HORIZON_US,
    DEVICE_WIDE,
  },
};

const doc = readFileSync(join(PROTOCOL_DIR, 'PROTOCOL.md'), 'utf8');
// rtp.h and the layout header generated from the schema, which rtp.h includes.
const cHeader = ['rtp.h', 'rtp_layout.h'].map((file) => readFileSync(join(PROTOCOL_DIR, 'c', file), 'utf8')).join('\n');
const hex = (value: number, digits: number): string => `0x${value.toString(16).toUpperCase().padStart(digits, '0')}`;

/** The body of a `### <number> ...` or `## <number>. ...` section of PROTOCOL.md. */
function section(heading: string): string {
  const start = doc.indexOf(heading);
  assert.ok(start >= 0, `PROTOCOL.md has a section '${heading}'`);
  const rest = doc.slice(start + heading.length);
  const next = rest.search(/\n#{2,3} /);
  return next < 0 ? rest : rest.slice(0, next);
}

/** `| value | NAME | ...` rows of a table: NAME → value. */
function tableRows(text: string): Record<string, number> {
  const rows: Record<string, number> = {};
  for (const match of text.matchAll(/^\| (0x[0-9A-F]+|\d+) \| ([A-Z_]+) \|/gm)) rows[match[2]] = Number(match[1]);
  return rows;
}

describe('v1 is append-only', () => {
  for (const pinned of PINNED_LAYOUTS) {
    test(`${pinned.name} (${hex(pinned.type, 4)}) keeps its layout`, () => {
      const layout = layoutOfType(pinned.type);
      assert.ok(layout, `message ${pinned.name} was removed; ids are never removed or reused`);
      const current = {
        type: layout.type,
        name: layout.name,
        schema: layout.schema,
        seed: layout.seed,
        fixedLen: layout.fixedLen,
        perJointLen: layout.perJointLen,
      };
      assert.deepEqual(
        current,
        pinned,
        `${pinned.name} changed: that is a breaking change, which needs a new major version (PROTOCOL.md § 13); append extension fields instead`,
      );
      assert.equal(
        crc32c(Uint8Array.from(pinned.schema, (c) => c.charCodeAt(0))),
        pinned.seed,
        'the seed is the CRC-32C of the schema string',
      );
    });
  }

  test('message ids and seeds are unique', () => {
    assert.equal(new Set(LAYOUTS.map((l) => l.type)).size, LAYOUTS.length);
    assert.equal(new Set(LAYOUTS.map((l) => l.seed)).size, LAYOUTS.length);
    assert.deepEqual(
      Object.values(MessageType).sort((a, b) => a - b),
      LAYOUTS.map((l) => l.type).sort((a, b) => a - b),
    );
  });

  for (const [group, pinned] of Object.entries(PINNED_CONSTANTS)) {
    test(`${group} keeps its values`, () => {
      for (const [name, value] of Object.entries(pinned)) {
        assert.equal(CURRENT_CONSTANTS[group][name], value, `${group}.${name} was ${value}: values are never changed or reused`);
      }
    });
  }

  test('rejection reasons keep their order', () => {
    assert.deepEqual(REJECT_REASONS, [
      'cobs',
      'too_long',
      'truncated',
      'unknown_type',
      'crc',
      'version',
      'flags',
      'length_mismatch',
      'bad_length',
      'bad_field',
    ]);
  });
});

describe('PROTOCOL.md agrees with the code', () => {
  test('§ 7.1: id, name, direction, payload size and seed of every message', () => {
    const rows = [
      ...section('### 7.1 Messages').matchAll(/^\| (0x[0-9A-F]{4}) \| ([A-Z_]+) \| (H→D|D→H|both) \| ([^|]+) \| (0x[0-9A-F]{8}) \|$/gm),
    ];
    assert.equal(rows.length, LAYOUTS.length);
    const arrows = { host_to_device: 'H→D', device_to_host: 'D→H', both: 'both' };
    for (const [, id, name, direction, size, seed] of rows) {
      const layout = layoutOfType(Number(id));
      assert.ok(layout, `${id} ${name}`);
      assert.equal(name, layout.name);
      assert.equal(direction, arrows[layout.direction]);
      assert.equal(seed, hex(layout.seed, 8));
      const expectedSize = layout.perJointLen === 0 ? `${layout.fixedLen}` : `${layout.fixedLen} + ${layout.perJointLen}n`;
      assert.equal(size.trim(), expectedSize, `${name} payload size`);
    }
  });

  test('§ 6: each message section gives its schema string, seed and size', () => {
    for (const layout of LAYOUTS) {
      const body = section(`(${hex(layout.type, 4)}, `);
      assert.ok(body.includes(`Schema: \`${layout.schema}\``), `${layout.name}: schema string`);
      assert.ok(body.includes(`Seed ${hex(layout.seed, 8)}.`), `${layout.name}: seed`);
      const size = layout.perJointLen === 0 ? `**${layout.fixedLen} byte` : `**${layout.fixedLen} + ${layout.perJointLen}n bytes**`;
      assert.ok(body.includes(size), `${layout.name}: payload size ${size}`);
    }
  });

  test('§ 7.2–7.7: modes, status bits, fault codes and flags, result codes', () => {
    const tables: [string, Record<string, number>][] = [
      ['### 7.2 Command modes', CommandModeBit],
      ['### 7.3 Device status', DeviceStatus],
      ['### 7.4 Joint status', JointStatus],
      ['### 7.5 Fault codes', FaultCode],
      ['### 7.6 Fault flags', FaultFlag],
      ['### 7.7 Result codes', ResultCode],
      ['### 7.9 Wear', { ...WearField, ...HeaderFlag }],
    ];
    for (const [heading, constants] of tables) assert.deepEqual(tableRows(section(heading)), { ...constants }, heading);
  });

  test('§ 5: the receive checks, in order', () => {
    const reasons = [...section('## 5. Receiving').matchAll(/^\| (\d+) \| `([a-z_]+)` \|/gm)].map((m) => m[2]);
    assert.deepEqual(reasons, [...REJECT_REASONS]);
  });

  test('§ 4: the worked example is the golden vector', () => {
    const vector = readVectorFile<{ vectors: ValidVector[] }>('edge-cases.json').vectors.find((v) => v.name === 'worked_example');
    assert.ok(vector);
    const spaced = (h: string): string => h.toUpperCase().match(/../g)?.join(' ') ?? '';
    const example = section('### Worked example');
    assert.ok(example.includes(`packet   ${spaced(vector.packet_hex)}`), 'packet bytes');
    assert.ok(example.includes(`frame    ${spaced(vector.frame_hex)}`), 'frame bytes');
  });
});

describe('the C header and the vector generator agree with the code', () => {
  const defines = new Map<string, number>();
  for (const match of cHeader.matchAll(/^#define RTP_([A-Z0-9_]+) (0x[0-9A-F]+|\d+)u$/gm)) defines.set(match[1], Number(match[2]));

  /** C macros `RTP_<prefix><NAME>` (minus exclusions) → NAME: value. */
  function family(prefix: string, exclude: RegExp = /^$/): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, value] of defines)
      if (name.startsWith(prefix) && !exclude.test(name.slice(prefix.length))) out[name.slice(prefix.length)] = value;
    return out;
  }

  test('ids, seeds and constants in rtp.h and rtp_layout.h', () => {
    assert.deepEqual(family('MSG_'), { ...MessageType });
    assert.deepEqual(family('SEED_'), Object.fromEntries(LAYOUTS.map((l) => [l.name, l.seed])));
    assert.deepEqual(family('MODE_'), { ...CommandModeBit });
    assert.deepEqual(family('STATUS_'), { ...DeviceStatus });
    assert.deepEqual(family('JOINT_STATUS_'), { ...JointStatus });
    assert.deepEqual(family('FAULT_', /^(FLAG_|TEXT_LEN$)/), { ...FaultCode });
    assert.deepEqual(family('FAULT_FLAG_'), { ...FaultFlag });
    assert.deepEqual(family('RESULT_'), { ...ResultCode });
    assert.deepEqual(family('WEAR_'), { ...WearField });
    assert.equal(defines.get('FLAG_WEAR'), HeaderFlag.WEAR);
    assert.equal(defines.get('MAX_PACKET_LEN'), MAX_PACKET_LEN);
    assert.equal(defines.get('MAX_JOINTS'), MAX_JOINTS);
  });

  test('schema strings written by gen-vectors.mjs (its own tables)', () => {
    const schemas = readVectorFile<{ schemas: SchemaEntry[] }>('messages.json').schemas;
    assert.deepEqual(
      schemas.map((s) => [s.type, s.name, s.schema, Number(s.seed)]),
      LAYOUTS.map((l) => [l.type, l.name, l.schema, l.seed]),
    );
  });
});
