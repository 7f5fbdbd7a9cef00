/** MQTT carriage: the topic layout and the delivery options of each message, against PROTOCOL.md § 12. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAYOUTS, MessageType, mqttRoute, mqttTopics, type MessageName, type MessageType as MessageId } from '../../src/protocol/index.js';
import { PROTOCOL_DIR } from './support.js';

const doc = readFileSync(join(PROTOCOL_DIR, 'PROTOCOL.md'), 'utf8');

test('topics of one robot', () => {
  assert.deepEqual(mqttTopics('koch-arm-07'), {
    state: 'robo-train/v1/koch-arm-07/state',
    command: 'robo-train/v1/koch-arm-07/command',
    control: 'robo-train/v1/koch-arm-07/control',
    event: 'robo-train/v1/koch-arm-07/event',
    deviceStatus: 'robo-train/v1/koch-arm-07/device/status',
    hostStatus: 'robo-train/v1/koch-arm-07/host/status',
  });
  for (const bad of ['', 'a/b', 'arm+1', 'arm#', 'x'.repeat(65), 'bras-é'])
    assert.throws(() => mqttTopics(bad), /cannot name MQTT topics/, bad);
});

test('a side cannot route a message it never sends', () => {
  assert.throws(() => mqttRoute(MessageType.JOINT_STATE, 'host'), /a host does not send/);
  assert.throws(() => mqttRoute(MessageType.JOINT_COMMAND, 'device'), /a device does not send/);
});

test('PROTOCOL.md § 12 lists every message on the topic, QoS and expiry the code uses', () => {
  const rows = [
    ...doc.matchAll(/^\| `robo-train\/v1\/<robot-id>\/([a-z/]+)` \| (host|device) \| ([^|]+) \| ([01]) \| ([^|]+) \| ([^|]+) \|$/gm),
  ];
  assert.equal(rows.length, 6, 'six topics');
  const seen = new Set<string>();
  for (const [, channel, publisher, messages, qos, retained, expiry] of rows) {
    if (channel.endsWith('status')) {
      assert.match(retained, /yes/);
      continue;
    }
    assert.match(retained, /no/);
    for (const entry of messages.split(',').map((m) => m.trim())) {
      const name = entry.replace(/^(host|device) /, '') as MessageName;
      const type = MessageType[name] as MessageId | undefined;
      assert.ok(type !== undefined, `${entry} is a message`);
      const sender = publisher as 'host' | 'device';
      const route = mqttRoute(type, sender);
      assert.equal(route.channel, channel, `${entry} topic`);
      assert.equal(route.qos, Number(qos), `${entry} QoS`);
      assert.equal(route.retain, false);
      const documented = expiry.trim() === 'none' ? undefined : name === 'ESTOP' ? undefined : Number(/^(\d+) s/.exec(expiry.trim())?.[1]);
      assert.equal(route.messageExpiryIntervalS, documented, `${entry} expiry`);
      seen.add(`${sender}:${name}`);
    }
  }
  const expected = LAYOUTS.flatMap((l) =>
    l.direction === 'both' ? [`host:${l.name}`, `device:${l.name}`] : [`${l.direction === 'host_to_device' ? 'host' : 'device'}:${l.name}`],
  );
  assert.deepEqual([...seen].sort(), expected.sort());
});
