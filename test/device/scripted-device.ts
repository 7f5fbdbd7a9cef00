/**
 * A scripted device for the session tests: answers HELLO and control messages the way the protocol
 * says (or not, when told), and sends JOINT_STATEs when the test asks or on a timer. No physics.
 */
import type { Clock } from '../../src/core/clock.js';
import {
  CommandModeBit,
  DeviceStatus,
  MessageType,
  nextSeq,
  PROTOCOL_MAJOR,
  PROTOCOL_MINOR,
  ResultCode,
  type DeviceInfoMessage,
  type Message,
} from '../../src/protocol/index.js';
import type { MemoryTransport } from '../../src/transport/memory.js';

export interface ScriptedDeviceOptions {
  jointNames?: string[];
  deviceId?: string;
  rateHz?: number;
  defaultWatchdogMs?: number;
  /** Answer HELLO with DEVICE_INFO (default true). */
  answerHello?: boolean;
}

export class ScriptedDevice {
  readonly received: { message: Message; seq: number; atMs: number }[] = [];
  readonly info: DeviceInfoMessage;
  answerHello: boolean;
  status = 0;
  /** Result to answer ESTOP_CLEAR with. */
  estopClearResult: number = ResultCode.OK;
  private seq = 0;
  private stopStream: (() => void) | null = null;

  constructor(
    readonly transport: MemoryTransport,
    readonly clock: Clock,
    options: ScriptedDeviceOptions = {},
  ) {
    const jointNames = options.jointNames ?? ['shoulder', 'elbow'];
    const rate = options.rateHz ?? 50;
    this.answerHello = options.answerHello ?? true;
    this.info = {
      type: MessageType.DEVICE_INFO,
      protocolMajor: PROTOCOL_MAJOR,
      protocolMinor: PROTOCOL_MINOR,
      firmwareVersion: { major: 2, minor: 1, patch: 7 },
      supportedModes: CommandModeBit.POSITION,
      minStateRateHz: 1,
      maxStateRateHz: 1000,
      defaultStateRateHz: rate,
      defaultWatchdogMs: options.defaultWatchdogMs ?? 300,
      deviceId: options.deviceId ?? 'scripted-arm',
      jointNames,
    };
  }

  async open(): Promise<void> {
    await this.transport.open({
      message: (message, seq, atMs) => {
        this.received.push({ message: structuredClone(message), seq, atMs });
        this.answer(message, seq);
      },
      closed: () => undefined,
    });
  }

  /** Messages of one type the device received, in order. */
  receivedOf(type: number): { message: Message; seq: number; atMs: number }[] {
    return this.received.filter((entry) => entry.message.type === type);
  }

  send(message: Message): void {
    if (!this.transport.isOpen) return;
    this.transport.send(message, this.seq);
    this.seq = nextSeq(this.seq);
  }

  /** Counts its frames from `next` again, as a rebooted device does (whose first frames were lost). */
  restartSequence(next = 0): void {
    this.seq = next;
  }

  sendState(positions: number[] = this.info.jointNames.map(() => 0)): void {
    const n = positions.length;
    this.send({
      type: MessageType.JOINT_STATE,
      deviceTimeUs: Math.round(this.clock.nowMs() * 1000),
      deviceStatus: this.status,
      lastCommandSeq: 0,
      commandsRejected: 0,
      activeMode: 0,
      positionRad: Float32Array.from(positions),
      velocityRadS: new Float32Array(n),
      effortNm: new Float32Array(n),
      jointStatus: new Uint8Array(n),
    });
  }

  /** Sends a state every `periodMs` until `stopStreaming`. */
  stream(periodMs = 20): void {
    this.stopStreaming();
    let cancel = (): void => undefined;
    const tick = (): void => {
      this.sendState();
      cancel = this.clock.setTimer(tick, periodMs);
    };
    cancel = this.clock.setTimer(tick, 0);
    this.stopStream = () => cancel();
  }

  stopStreaming(): void {
    this.stopStream?.();
    this.stopStream = null;
  }

  private answer(message: Message, seq: number): void {
    const ack = (result: number = ResultCode.OK): void =>
      this.send({ type: MessageType.ACK, ackedType: message.type, ackedSeq: seq, result });
    switch (message.type) {
      case MessageType.HELLO:
        if (!this.answerHello) return;
        this.status = (this.status | DeviceStatus.SESSION) & ~DeviceStatus.TORQUE_ENABLED;
        this.send(this.info);
        return;
      case MessageType.CONFIGURE:
        ack();
        return;
      case MessageType.TORQUE:
        if (message.enable && (this.status & (DeviceStatus.ESTOPPED | DeviceStatus.FAULT)) !== 0) {
          ack(ResultCode.ESTOPPED);
          return;
        }
        this.status = message.enable
          ? (this.status | DeviceStatus.TORQUE_ENABLED) & ~DeviceStatus.WATCHDOG_EXPIRED
          : this.status & ~DeviceStatus.TORQUE_ENABLED;
        ack();
        return;
      case MessageType.ESTOP:
        this.status = (this.status | DeviceStatus.ESTOPPED) & ~DeviceStatus.TORQUE_ENABLED;
        ack();
        return;
      case MessageType.ESTOP_CLEAR:
        if (this.estopClearResult === ResultCode.OK) this.status &= ~(DeviceStatus.ESTOPPED | DeviceStatus.FAULT);
        ack(this.estopClearResult);
        return;
      default:
        return;
    }
  }
}
