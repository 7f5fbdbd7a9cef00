import assert from 'node:assert/strict';
import { after, describe, test, type TestContext } from 'node:test';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { MessageType, mqttTopics } from '../../src/protocol/index.js';
import { startBroker, type EmbeddedBroker } from '../../src/transport/broker.js';
import type { PeerStatus } from '../../src/transport/interface.js';
import { MqttTransport } from '../../src/transport/mqtt.js';
import { cleanup, freePort, haveTools, Mosquitto, tempFolder, waitFor } from '../hardware/support.js';
import { HOST_MESSAGES, Inbox, transportConformance, type LinkPair } from './conformance.js';

after(cleanup);

/** Both ends of one robot's topics on a broker that `restart` can bring back on the same port. */
function pairOn(url: string, robotId: string, stop: () => Promise<void>, restart: () => Promise<void>): LinkPair {
  const host = new MqttTransport({ url, robotId, role: 'host' });
  const device = new MqttTransport({ url, robotId, role: 'device' });
  return {
    host,
    device,
    breakLink: stop,
    restore: restart,
    close: async () => {
      await host.close();
      await device.close();
      await stop();
    },
  };
}

async function embedded(): Promise<{ broker: () => EmbeddedBroker; stop: () => Promise<void>; restart: () => Promise<void> }> {
  const port = await freePort();
  let broker = await startBroker({ port });
  return { broker: () => broker, stop: () => broker.close(), restart: async () => void (broker = await startBroker({ port })) };
}

transportConformance('MQTT through the embedded broker (aedes)', async () => {
  const { broker, stop, restart } = await embedded();
  return pairOn(broker().url, 'arm-1', stop, restart);
});

transportConformance("MQTT through Debian's mosquitto", async (t) => {
  if (!haveTools(t, 'mosquitto')) return null;
  const broker = await Mosquitto.start(tempFolder('robo-train-mosquitto-'));
  return pairOn(
    broker.url,
    'arm-1',
    () => broker.stop(),
    () => broker.start(),
  );
});

/** A bystander that sees every message of a robot's topics, with the QoS, retain flag and properties it was delivered with. */
async function spy(
  url: string,
  robotId: string,
  protocolVersion: 4 | 5,
): Promise<{ client: MqttClient; seen: { topic: string; packet: IPublishPacket }[] }> {
  const client = await mqtt.connectAsync(url, { protocolVersion, reconnectPeriod: 0 });
  const seen: { topic: string; packet: IPublishPacket }[] = [];
  client.on('message', (topic, _payload, packet) => seen.push({ topic, packet }));
  await client.subscribeAsync(`robo-train/v1/${robotId}/#`, { qos: 1 });
  return { client, seen };
}

async function mqttDetails(t: TestContext, url: string, protocolVersion: 4 | 5): Promise<void> {
  const topics = mqttTopics('arm-2');
  const watcher = await spy(url, 'arm-2', protocolVersion);
  t.after(() => watcher.client.endAsync());
  const notices: string[] = [];
  const deviceStatus: PeerStatus[] = [];
  const hostStatus: PeerStatus[] = [];
  const device = new MqttTransport({ url, robotId: 'arm-2', role: 'device' });
  const host = new MqttTransport({ url, robotId: 'arm-2', role: 'host' });
  t.after(async () => {
    await host.close();
    await device.close();
  });
  await device.open({ message: () => undefined, closed: () => undefined, peerStatus: (status) => hostStatus.push(status) });
  await host.open({
    message: () => undefined,
    closed: () => undefined,
    peerStatus: (status) => deviceStatus.push(status),
    notice: (text) => notices.push(text),
  });
  await waitFor(() => deviceStatus.includes('online') && hostStatus.includes('online'), 3000, 'both sides to see the other online');
  for (const message of HOST_MESSAGES) host.send(message, 1);
  await waitFor(
    () => watcher.seen.filter((entry) => entry.topic === topics.command || entry.topic === topics.control).length >= HOST_MESSAGES.length,
    3000,
    'the spy to see every host message',
  );
  const delivered = (type: number): IPublishPacket => {
    const entry = watcher.seen.find(
      ({ topic, packet }) => (topic === topics.command || topic === topics.control) && (packet.payload as Buffer).readUInt16LE(2) === type,
    );
    assert.ok(entry, `message 0x${type.toString(16)} delivered`);
    return entry.packet;
  };
  // QoS per kind: real-time frames 0, control 1; nothing but status retained.
  assert.equal(delivered(MessageType.JOINT_COMMAND).qos, 0);
  assert.equal(delivered(MessageType.HEARTBEAT).qos, 0);
  for (const type of [MessageType.HELLO, MessageType.TORQUE, MessageType.ESTOP, MessageType.CONFIGURE])
    assert.equal(delivered(type).qos, 1);
  assert.ok(watcher.seen.filter(({ topic }) => topic === topics.command || topic === topics.control).every(({ packet }) => !packet.retain));
  if (protocolVersion === 5) {
    assert.equal(delivered(MessageType.JOINT_COMMAND).properties?.messageExpiryInterval, 1);
    assert.equal(delivered(MessageType.TORQUE).properties?.messageExpiryInterval, 5);
    assert.equal(
      delivered(MessageType.ESTOP).properties?.messageExpiryInterval,
      undefined,
      'a late ESTOP only stops the robot: it never expires',
    );
    assert.deepEqual(notices, []);
  } else {
    assert.match(notices.join('\n'), /speaks MQTT 3\.1\.1 only: commands carry no message expiry/);
  }
  // A clean close says offline; a crash (no goodbye) gets the Last Will, offline too: both retained.
  await host.close();
  await waitFor(() => hostStatus.at(-1) === 'offline', 3000, 'the device to see the host offline');
  await device.abort();
  const late = await spy(url, 'arm-2', protocolVersion);
  t.after(() => late.client.endAsync());
  await waitFor(() => late.seen.some(({ topic }) => topic === topics.deviceStatus), 5000, 'the retained device status');
  const retained = late.seen.find(({ topic }) => topic === topics.deviceStatus)!;
  assert.equal(retained.packet.retain, true);
  assert.equal((retained.packet.payload as Buffer).toString(), 'offline', 'the Last Will');
  assert.ok(deviceStatus.includes('online'));
}

describe('MQTT carriage (PROTOCOL.md § 12)', () => {
  test('embedded broker (MQTT 3.1.1): QoS per kind, retained status, Last Will, the 3.1.1 fallback', async (t) => {
    const port = await freePort();
    const broker = await startBroker({ port });
    t.after(() => broker.close());
    await mqttDetails(t, broker.url, 4);
  });

  test('mosquitto (MQTT 5): the same, plus message expiry per kind', async (t) => {
    if (!haveTools(t, 'mosquitto')) return;
    const broker = await Mosquitto.start(tempFolder('robo-train-mosquitto-'));
    t.after(() => broker.stop());
    await mqttDetails(t, broker.url, 5);
  });

  test('a broker that is not there: a clear error with its code, and the robot id checked', async () => {
    const port = await freePort();
    const transport = new MqttTransport({ url: `mqtt://127.0.0.1:${port}`, robotId: 'arm-3', role: 'host', connectTimeoutMs: 1000 });
    await assert.rejects(transport.open(new Inbox()), (error: unknown) => {
      assert.match(String(error), /cannot connect to mqtt:\/\/127\.0\.0\.1:\d+/);
      assert.equal((error as { code?: string }).code, 'ECONNREFUSED');
      return true;
    });
    assert.throws(() => new MqttTransport({ url: 'mqtt://x', robotId: 'arm/1', role: 'host' }), /cannot name MQTT topics/);
  });
});
