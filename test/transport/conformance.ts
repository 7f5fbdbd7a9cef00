/**
 * One suite for every transport (as MQTT.js runs one abstract client suite against each of its
 * transports): messages of every kind cross in both directions and decode as sent, a burst arrives
 * complete and in order, closed transports refuse to send, a failed link is reported once and tagged
 * `disconnected`, and a transport opens again afterwards.
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { CommandModeBit, FaultCode, MessageType, type JointStateMessage, type Message } from '../../src/protocol/index.js';
import { TransportError } from '../../src/transport/errors.js';
import type { Transport, TransportHandlers } from '../../src/transport/interface.js';
import { waitFor } from '../hardware/support.js';

export interface LinkPair {
  host: Transport;
  device: Transport;
  /** Breaks the link (unplug, kill the broker): both ends must report it. */
  breakLink(): Promise<void>;
  /** Makes the link usable again (plug back in, restart the broker). */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Collects what one end receives. */
export class Inbox implements TransportHandlers {
  readonly messages: { message: Message; seq: number }[] = [];
  readonly failures: TransportError[] = [];

  message(message: Message, seq: number): void {
    this.messages.push({ message: structuredClone(message), seq });
  }

  closed(error: TransportError): void {
    this.failures.push(error);
  }

  async count(n: number, timeoutMs = 5000): Promise<void> {
    await waitFor(() => this.messages.length >= n, timeoutMs, `${n} messages (have ${this.messages.length})`);
  }
}

export const HOST_MESSAGES: Message[] = [
  {
    type: MessageType.HELLO,
    protocolMajor: 1,
    protocolMinor: 0,
    hostVersion: { major: 0, minor: 1, patch: 2 },
    stateRateHz: 50,
    hostName: 'robo-train',
  },
  { type: MessageType.CONFIGURE, watchdogTimeoutMs: 300, stateRateHz: 50 },
  { type: MessageType.TORQUE, enable: true },
  {
    type: MessageType.JOINT_COMMAND,
    deadlineUs: 123_456_789,
    stateSeq: 42,
    mode: CommandModeBit.POSITION,
    target: Float32Array.of(0.5, -0.25),
  },
  { type: MessageType.HEARTBEAT, timeUs: 99, status: 0 },
  { type: MessageType.ESTOP },
  { type: MessageType.ESTOP_CLEAR },
];

export function jointState(i: number): JointStateMessage {
  return {
    type: MessageType.JOINT_STATE,
    deviceTimeUs: 1_000_000 + 20_000 * i,
    deviceStatus: 0x11,
    lastCommandSeq: i,
    commandsRejected: 0,
    activeMode: CommandModeBit.POSITION,
    positionRad: Float32Array.of(i / 100, -i / 100),
    velocityRadS: Float32Array.of(0.5, -0.5),
    effortNm: Float32Array.of(0.1, 0.2),
    jointStatus: Uint8Array.of(1, 1),
  };
}

export const DEVICE_MESSAGES: Message[] = [
  {
    type: MessageType.DEVICE_INFO,
    protocolMajor: 1,
    protocolMinor: 0,
    firmwareVersion: { major: 1, minor: 2, patch: 3 },
    supportedModes: CommandModeBit.POSITION,
    minStateRateHz: 10,
    maxStateRateHz: 200,
    defaultStateRateHz: 50,
    defaultWatchdogMs: 250,
    deviceId: 'arm-1',
    jointNames: ['shoulder', 'elbow'],
  },
  jointState(7),
  { type: MessageType.FAULT, deviceTimeUs: 5, code: FaultCode.OVERHEAT, joint: 1, flags: 1, text: 'elbow motor at 81 C' },
  { type: MessageType.ACK, ackedType: MessageType.TORQUE, ackedSeq: 3, result: 0 },
  { type: MessageType.HEARTBEAT, timeUs: 1234, status: 0 },
];

export function transportConformance(name: string, makePair: (t: TestContext) => Promise<LinkPair | null>): void {
  describe(`${name}: the transport contract`, () => {
    const opened = async (t: TestContext): Promise<{ pair: LinkPair; hostInbox: Inbox; deviceInbox: Inbox } | null> => {
      const pair = await makePair(t);
      if (!pair) return null;
      t.after(() => pair.close());
      const hostInbox = new Inbox();
      const deviceInbox = new Inbox();
      await pair.device.open(deviceInbox);
      await pair.host.open(hostInbox);
      return { pair, hostInbox, deviceInbox };
    };

    test('every message kind crosses in its direction and decodes as sent', async (t) => {
      const link = await opened(t);
      if (!link) return;
      const { pair, hostInbox, deviceInbox } = link;
      HOST_MESSAGES.forEach((message, i) => pair.host.send(message, 1000 + i));
      DEVICE_MESSAGES.forEach((message, i) => pair.device.send(message, 65530 + i));
      await deviceInbox.count(HOST_MESSAGES.length);
      await hostInbox.count(DEVICE_MESSAGES.length);
      // Different MQTT topics (QoS 0 and 1) need not keep their relative order: compare by seq.
      const bySeq = (a: { seq: number }, b: { seq: number }): number => a.seq - b.seq;
      assert.deepEqual(
        deviceInbox.messages.sort(bySeq),
        HOST_MESSAGES.map((message, i) => ({ message, seq: 1000 + i })),
      );
      assert.deepEqual(
        hostInbox.messages.sort(bySeq),
        DEVICE_MESSAGES.map((message, i) => ({ message, seq: (65530 + i) & 0xffff })).sort(bySeq),
      );
      assert.equal(pair.host.stats.messagesOut, HOST_MESSAGES.length);
      assert.equal(pair.host.stats.messagesIn, DEVICE_MESSAGES.length);
    });

    test('a burst of 200 states arrives complete and in order', async (t) => {
      const link = await opened(t);
      if (!link) return;
      for (let i = 0; i < 200; i++) link.pair.device.send(jointState(i), i);
      await link.hostInbox.count(200);
      assert.deepEqual(
        link.hostInbox.messages.map((entry) => entry.seq),
        Array.from({ length: 200 }, (_, i) => i),
      );
      assert.equal(link.pair.host.stats.decoder.framesRejected, 0);
    });

    test('a closed transport refuses to send (canceled, not disconnected); an open one refuses to open again', async (t) => {
      const link = await opened(t);
      if (!link) return;
      await assert.rejects(link.pair.host.open(new Inbox()), TransportError);
      await link.pair.host.close();
      await link.pair.host.close();
      assert.throws(
        () => link.pair.host.send(HOST_MESSAGES[0], 1),
        (error: unknown) => error instanceof TransportError && error.canceled && !error.disconnected,
      );
    });

    test('a broken link is reported once on each end, tagged disconnected; both open again afterwards', async (t) => {
      const link = await opened(t);
      if (!link) return;
      const { pair, hostInbox, deviceInbox } = link;
      // An established link: traffic has flowed both ways. (node-serialport misses a pseudo-terminal
      // hang-up that comes before its first read; the session's watchdog covers that case.)
      pair.host.send(HOST_MESSAGES[4], 1);
      pair.device.send(DEVICE_MESSAGES[4], 1);
      await deviceInbox.count(1);
      await hostInbox.count(1);
      await pair.breakLink();
      await waitFor(() => hostInbox.failures.length > 0, 8000, 'the host to notice');
      assert.equal(hostInbox.failures.length, 1);
      assert.equal(hostInbox.failures[0].disconnected, true);
      assert.equal(pair.host.isOpen, false);
      await pair.restore();
      // The device end may have noticed too (an MQTT client, a memory wire); it opens again either way.
      if (pair.device.isOpen) await pair.device.close();
      const again = new Inbox();
      await pair.device.open(again);
      await pair.host.open(new Inbox());
      pair.host.send(HOST_MESSAGES[2], 9);
      await again.count(1);
      assert.deepEqual(again.messages[0], { message: HOST_MESSAGES[2], seq: 9 });
      assert.ok(deviceInbox.failures.length <= 1);
    });
  });
}
