import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import mqtt from 'mqtt';
import { encodePacket, FaultCode, MessageType, mqttTopics, type Message } from '../../src/protocol/index.js';
import type { PeerStatus } from '../../src/transport/interface.js';
import { MqttTransport } from '../../src/transport/mqtt.js';
import { mosquittoAcl } from '../../src/transport/mqtt-acl.js';
import { UsageError } from '../../src/util/errors.js';
import { BIN, cleanup, haveTools, Mosquitto, tempFolder, waitFor } from '../hardware/support.js';
import { HOST_MESSAGES, Inbox, jointState } from './conformance.js';

after(cleanup);

const ROBOT = 'arm-1';
const PASSWORDS = { trainer: 'host-pw', [ROBOT]: 'device-pw', intruder: 'intruder-pw' } as const;
const FLOOD = 5000;

/** An Inbox that also keeps the peer's status as it changes. */
class WatchingInbox extends Inbox {
  readonly statuses: PeerStatus[] = [];
  private watching = true;
  peerStatus(status: PeerStatus): void {
    if (this.watching) this.statuses.push(status);
  }
  /** Before the test's own goodbyes: a peer's clean `offline` then is no attack. */
  stopWatching(): void {
    this.watching = false;
  }
}

/** `robo-train mqtt-acl` for arm-1 as an operator would run it (once: the CLI takes seconds to start on a busy machine). */
let cliAcl: string | null = null;
function robotAcl(): string {
  if (cliAcl !== null) return cliAcl;
  const result = spawnSync(process.execPath, [BIN, 'mqtt-acl', '--robot', ROBOT, '--host-user', 'trainer'], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  cliAcl = result.stdout;
  return cliAcl;
}

/** Users trainer, arm-1 and intruder; with `acl`, the robots' ACLs (another robot's first: blocks of one user add up). */
async function mosquitto(acl: boolean): Promise<Mosquitto> {
  const folder = tempFolder('robo-train-acl-');
  for (const [i, [user, password]] of Object.entries(PASSWORDS).entries()) {
    const result = spawnSync('mosquitto_passwd', [...(i === 0 ? ['-c'] : []), '-b', 'passwd', user, password], {
      cwd: folder,
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, result.stderr);
  }
  if (acl) writeFileSync(join(folder, 'acl'), mosquittoAcl({ robotId: 'arm-2', hostUser: 'trainer', deviceUser: 'arm-2' }) + robotAcl());
  // mosquitto reads them after dropping root to its own user.
  chmodSync(folder, 0o755);
  for (const file of readdirSync(folder)) chmodSync(join(folder, file), 0o644);
  const rules = acl ? `use_username_as_clientid true\nacl_file ${folder}/acl\n` : '';
  return Mosquitto.start(folder, { extra: `allow_anonymous false\npassword_file ${folder}/passwd\n${rules}` });
}

interface Outcome {
  /** What the robot received: the intruder's messages would be among them. */
  device: WatchingInbox;
  host: WatchingInbox;
  /** How the broker answered each of the intruder's QoS 1 publishes (MQTT 5 PUBACK). */
  intruderPublishes: ('accepted' | 'refused')[];
  /** Robot messages the intruder read with a subscription to everything. */
  intruderRead: number;
}

/**
 * A host and its device connected as their users; a third client with its own account tries to stop
 * the robot (ESTOP, TORQUE off, a zero command, the host's status set `offline`), hijack it (a HELLO),
 * and flood its state topic and fake a fault; then the host and the device exchange one message each.
 */
async function attack(broker: Mosquitto): Promise<Outcome> {
  const url = (user: keyof typeof PASSWORDS): string => broker.url.replace('mqtt://', `mqtt://${user}:${PASSWORDS[user]}@`);
  const device = new MqttTransport({ url: url(ROBOT), robotId: ROBOT, role: 'device' });
  const host = new MqttTransport({ url: url('trainer'), robotId: ROBOT, role: 'host' });
  const outcome: Outcome = { device: new WatchingInbox(), host: new WatchingInbox(), intruderPublishes: [], intruderRead: 0 };
  await device.open(outcome.device);
  await host.open(outcome.host);
  // Its client id is the host's user name: with use_username_as_clientid it cannot take the host's session over.
  const intruder = await mqtt.connectAsync(url('intruder'), { protocolVersion: 5, reconnectPeriod: 0, clientId: 'trainer' });
  try {
    intruder.on('message', (topic) => {
      if (topic.startsWith('robo-train/')) outcome.intruderRead++;
    });
    await intruder.subscribeAsync('#');
    const topics = mqttTopics(ROBOT);
    const packet = (message: Message): Buffer => Buffer.from(encodePacket(message, 7));
    const spoof = (type: MessageType): Message => HOST_MESSAGES.find((message) => message.type === type)!;
    const qos1 = async (topic: string, payload: Buffer | string, retain = false): Promise<void> => {
      const verdict = await intruder.publishAsync(topic, payload, { qos: 1, retain }).then(
        () => 'accepted' as const,
        (error: Error) => (assert.match(error.message, /Not authorized/i), 'refused' as const),
      );
      outcome.intruderPublishes.push(verdict);
    };
    await qos1(topics.control, packet(spoof(MessageType.HELLO)));
    await qos1(topics.control, packet({ type: MessageType.TORQUE, enable: false }));
    await qos1(topics.control, packet(spoof(MessageType.ESTOP)));
    intruder.publish(topics.command, packet({ ...spoof(MessageType.JOINT_COMMAND), target: Float32Array.of(0, 0) } as Message));
    await qos1(topics.hostStatus, 'offline', true);
    await qos1(topics.deviceStatus, 'offline', true);
    for (let i = 0; i < FLOOD; i++) intruder.publish(topics.state, packet(jointState(i)));
    await qos1(
      topics.event,
      packet({ type: MessageType.FAULT, deviceTimeUs: 5, code: FaultCode.OVERHEAT, joint: 0, flags: 1, text: 'fake' }),
    );

    host.send({ type: MessageType.HEARTBEAT, timeUs: 1, status: 0 }, 100);
    device.send(jointState(9999), 200);
    await waitFor(
      () => outcome.device.messages.some(({ seq }) => seq === 100) && outcome.host.messages.some(({ seq }) => seq === 200),
      5000,
      "the host's heartbeat and the device's state",
    );
    // Time for anything still in flight from the intruder to arrive.
    await new Promise((resolve) => setTimeout(resolve, 200));
    outcome.device.stopWatching();
    outcome.host.stopWatching();
    return outcome;
  } finally {
    intruder.end(true);
    await host.close();
    await device.close();
  }
}

const types = (inbox: Inbox): MessageType[] => inbox.messages.map(({ message }) => message.type);

describe('a mosquitto ACL from robo-train mqtt-acl (#16, MQTT without trust)', () => {
  test('one user each for host and device, user names mosquitto can read, topics of a valid robot id', () => {
    const bad = (options: Partial<Parameters<typeof mosquittoAcl>[0]>, message: RegExp): void =>
      assert.throws(
        () => mosquittoAcl({ robotId: ROBOT, hostUser: 'trainer', deviceUser: ROBOT, ...options }),
        (error: unknown) => {
          assert.ok(error instanceof UsageError);
          assert.match(error.message, message);
          return true;
        },
      );
    bad({ deviceUser: 'trainer' }, /--host-user and --device-user are both 'trainer'/);
    bad({ hostUser: 'a\nuser b' }, /--host-user 'a\nuser b' cannot be a mosquitto user name/);
    bad({ deviceUser: ' arm' }, /--device-user ' arm' cannot be a mosquitto user name/);
    bad({ robotId: 'arm/#' }, /robot id 'arm\/#' cannot name MQTT topics/);
  });

  test('without it, any user of the broker stops, hijacks and floods the robot', async (t) => {
    if (!haveTools(t, 'mosquitto', 'mosquitto_passwd')) return;
    const broker = await mosquitto(false);
    t.after(() => broker.stop());
    const outcome = await attack(broker);
    assert.deepEqual(outcome.intruderPublishes, Array(6).fill('accepted'));
    for (const type of [MessageType.HELLO, MessageType.TORQUE, MessageType.ESTOP, MessageType.JOINT_COMMAND]) {
      assert.ok(types(outcome.device).includes(type), `the device received the intruder's message 0x${type.toString(16)}`);
    }
    assert.ok(outcome.device.statuses.includes('offline'), 'the device was told its host went offline');
    assert.ok(outcome.host.messages.length > 1, `the host received ${outcome.host.messages.length} states`);
    assert.ok(types(outcome.host).includes(MessageType.FAULT));
    assert.ok(outcome.intruderRead > 0);
  });

  test('with it, a third client can neither stop nor hijack the robot, flood its states, nor read its topics', async (t) => {
    if (!haveTools(t, 'mosquitto', 'mosquitto_passwd')) return;
    const broker = await mosquitto(true);
    t.after(() => broker.stop());
    const outcome = await attack(broker);
    assert.deepEqual(outcome.intruderPublishes, Array(6).fill('refused'));
    assert.deepEqual(
      outcome.device.messages.map(({ message, seq }) => [message.type, seq]),
      [[MessageType.HEARTBEAT, 100]],
      'the device received the host heartbeat only',
    );
    assert.deepEqual(
      outcome.host.messages.map(({ message, seq }) => [message.type, seq]),
      [[MessageType.JOINT_STATE, 200]],
      "the host received the device's state only",
    );
    assert.deepEqual(outcome.device.statuses, ['online']);
    assert.deepEqual(outcome.host.statuses, ['online']);
    assert.deepEqual([...outcome.host.failures, ...outcome.device.failures], [], 'neither session was taken over');
    assert.equal(outcome.intruderRead, 0);
  });
});
