import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { loadCalibration } from '../../src/calibration/load.js';
import { SimulatedFirmware, type FirmwareOptions } from '../../src/firmware-sim/firmware.js';
import { POSITION_FAULT_MARGIN_RAD } from '../../src/firmware-sim/limits.js';
import {
  CommandModeBit,
  DeviceStatus,
  FaultCode,
  FaultFlag,
  JointStatus,
  MessageType,
  ResultCode,
  type AckMessage,
  type FaultMessage,
  type JointStateMessage,
  type Message,
} from '../../src/protocol/index.js';
import { MujocoTwin } from '../../src/sim/twin.js';
import { VirtualClock } from '../device/virtual-clock.js';

const twins: MujocoTwin[] = [];
after(() => twins.forEach((twin) => twin.dispose()));

async function bench(robot = 'sim-reacher', options: Partial<FirmwareOptions> = {}) {
  const calibration = loadCalibration(robot);
  const twin = await MujocoTwin.create(calibration, 1);
  twins.push(twin);
  twin.resetTo(calibration.joints.map((joint) => joint.homeRad));
  const clock = new VirtualClock();
  const sent: { message: Message; seq: number; atMs: number }[] = [];
  const firmware = new SimulatedFirmware({
    calibration,
    twin,
    clock,
    send: (message, seq) => sent.push({ message: structuredClone(message), seq, atMs: clock.nowMs() }),
    ...options,
  });
  let hostSeq = 100;
  const host = (message: Message, seq = hostSeq++): number => {
    firmware.receive(message, seq);
    return seq;
  };
  /** `n` control periods. */
  const tick = async (n = 1): Promise<void> => {
    for (let i = 0; i < n; i++) {
      await clock.advance(firmware.periodMs);
      firmware.tick();
    }
  };
  const of = <T extends Message>(type: number): (T & { seq: number })[] =>
    sent.filter((entry) => entry.message.type === type).map((entry) => ({ ...(entry.message as T), seq: entry.seq }));
  const lastState = (): JointStateMessage & { seq: number } => of<JointStateMessage>(MessageType.JOINT_STATE).at(-1)!;
  const acks = (): AckMessage[] => of<AckMessage>(MessageType.ACK);
  const lastAck = (): AckMessage => acks().at(-1)!;
  /** A JOINT_COMMAND answering the latest state, valid for 40 ms of device time. */
  const command = (target: number[], overrides: Partial<Message> = {}): Message => {
    const state = lastState();
    return {
      type: MessageType.JOINT_COMMAND,
      deadlineUs: state.deviceTimeUs + 40_000,
      stateSeq: state.seq,
      mode: CommandModeBit.POSITION,
      target: Float32Array.from(target),
      ...overrides,
    } as Message;
  };
  const open = async (): Promise<void> => {
    firmware.boot();
    host({
      type: MessageType.HELLO,
      protocolMajor: 1,
      protocolMinor: 0,
      hostVersion: { major: 0, minor: 1, patch: 0 },
      stateRateHz: 50,
      hostName: 'test',
    });
    await tick();
  };
  const enable = async (): Promise<void> => {
    host({ type: MessageType.TORQUE, enable: true });
    await tick();
  };
  return { calibration, twin, clock, sent, firmware, host, tick, of, lastState, acks, lastAck, command, open, enable };
}

describe('simulated firmware: boot and sessions', () => {
  test('boots with DEVICE_INFO at seq 0, then a heartbeat a second until a HELLO opens a session', async () => {
    const { firmware, sent, of, tick, host, lastState } = await bench();
    firmware.boot();
    assert.equal(sent[0].message.type, MessageType.DEVICE_INFO);
    assert.equal(sent[0].seq, 0);
    const info = sent[0].message;
    assert.ok(info.type === MessageType.DEVICE_INFO);
    assert.deepEqual(info.jointNames, ['shoulder', 'elbow']);
    assert.equal(info.supportedModes, CommandModeBit.POSITION);
    assert.deepEqual([info.minStateRateHz, info.maxStateRateHz, info.defaultStateRateHz, info.defaultWatchdogMs], [50, 50, 50, 500]);
    await tick(110);
    assert.equal(of(MessageType.HEARTBEAT).length, 2, 'one heartbeat per second without a session');
    assert.equal(of(MessageType.JOINT_STATE).length, 0);
    host({
      type: MessageType.HELLO,
      protocolMajor: 1,
      protocolMinor: 0,
      hostVersion: { major: 0, minor: 1, patch: 0 },
      stateRateHz: 0,
      hostName: 'test',
    });
    assert.equal(sent.at(-1)!.message.type, MessageType.DEVICE_INFO);
    await tick(3);
    assert.equal(of(MessageType.JOINT_STATE).length, 3);
    assert.ok((lastState().deviceStatus & DeviceStatus.SESSION) !== 0);
    const seqs = sent.map((entry) => entry.seq);
    assert.deepEqual(
      seqs,
      seqs.map((_, i) => i),
      'one counter over every frame',
    );
  });

  test('a HELLO repeated with the same seq and nothing in between is answered again without a new session; after other frames it opens one', async () => {
    const events: string[] = [];
    const { firmware, host, of, tick, lastState, command } = await bench('sim-reacher', { onEvent: (text) => events.push(text) });
    firmware.boot();
    const hello: Message = {
      type: MessageType.HELLO,
      protocolMajor: 1,
      protocolMinor: 0,
      hostVersion: { major: 0, minor: 1, patch: 0 },
      stateRateHz: 50,
      hostName: 'test',
    };
    const opened = (): number => events.filter((text) => text === 'HELLO: session opened').length;
    host(hello, 0);
    await tick();
    host(hello, 0);
    assert.equal(of(MessageType.DEVICE_INFO).length, 3, 'boot, HELLO, and its repetition');
    assert.equal(opened(), 1, 'a repetition opens no session');
    host(command([0, 0]));
    await tick();
    assert.equal(lastState().commandsRejected, 1);
    // A restarted host counts from 0 again: the same seq after other frames is a new HELLO (PROTOCOL.md § 8.3).
    host(hello, 0);
    await tick();
    assert.equal(opened(), 2);
    assert.equal(lastState().commandsRejected, 0, 'a new session starts counting at 0');
  });

  test('a session with no frame from the host for 5 s ends: torque off, heartbeats again', async () => {
    const { open, enable, tick, lastState, of, firmware } = await bench();
    await open();
    await enable();
    await tick(26);
    assert.equal(firmware.torqueEnabled, false, 'the watchdog (500 ms) went first');
    await tick(250);
    assert.equal(firmware.sessionOpen, false);
    assert.equal(lastState().deviceStatus & DeviceStatus.SESSION, DeviceStatus.SESSION, 'the last state was sent inside the session');
    const beats = of(MessageType.HEARTBEAT).length;
    await tick(60);
    assert.ok(of(MessageType.HEARTBEAT).length > beats);
  });

  test('a HELLO of another major version gets DEVICE_INFO and NAK VERSION_MISMATCH, and no session', async () => {
    const { firmware, sent, lastAck } = await bench();
    firmware.boot();
    firmware.rejected({ reason: 'version', detail: 'HELLO of protocol version 2', type: MessageType.HELLO, seq: 7 });
    assert.equal(sent.at(-2)!.message.type, MessageType.DEVICE_INFO);
    const ack = lastAck();
    assert.deepEqual([ack.ackedType, ack.ackedSeq, ack.result], [MessageType.HELLO, 7, ResultCode.VERSION_MISMATCH]);
    assert.equal(firmware.sessionOpen, false);
  });

  test('a HELLO of another major version during a session ends it: torque off, no session (PROTOCOL.md § 10.3)', async () => {
    const { firmware, open, enable, tick, of } = await bench();
    await open();
    await enable();
    assert.equal(firmware.torqueEnabled, true);
    firmware.rejected({ reason: 'version', detail: 'HELLO of protocol version 2', type: MessageType.HELLO, seq: 9 });
    assert.equal(firmware.sessionOpen, false);
    assert.equal(firmware.torqueEnabled, false);
    const beats = of(MessageType.HEARTBEAT).length;
    await tick(60);
    assert.ok(of(MessageType.HEARTBEAT).length > beats, 'heartbeats, as without a session');
  });

  test('TORQUE enable while enabled changes nothing: the mode and the target stay (PROTOCOL.md § 10.6)', async () => {
    const { open, enable, tick, host, lastState, lastAck, command } = await bench();
    await open();
    await enable();
    const held = [...lastState().positionRad];
    host(command([held[0] + 0.05, held[1]]));
    await tick();
    assert.equal(lastState().activeMode, CommandModeBit.POSITION);
    host({ type: MessageType.TORQUE, enable: true });
    assert.equal(lastAck().result, ResultCode.OK);
    await tick(5);
    assert.equal(lastState().activeMode, CommandModeBit.POSITION, 'a fresh enable would reset it to 0');
    assert.ok(lastState().positionRad[0] > held[0] + 0.01, 'the joint still follows the target, not the pose at the second enable');
  });

  test('a command answering a state of the previous session is refused INVALID_VALUE (check 10)', async () => {
    const { open, enable, tick, host, lastAck, lastState, command } = await bench();
    await open();
    await enable();
    const old = command([0, 0], { deadlineUs: lastState().deviceTimeUs + 100_000 });
    host({
      type: MessageType.HELLO,
      protocolMajor: 1,
      protocolMinor: 0,
      hostVersion: { major: 0, minor: 1, patch: 0 },
      stateRateHz: 50,
      hostName: 'test',
    });
    await tick();
    host({ type: MessageType.TORQUE, enable: true });
    await tick();
    assert.ok(lastState().deviceStatus & DeviceStatus.TORQUE_ENABLED);
    host(old);
    assert.deepEqual([lastAck().ackedType, lastAck().result], [MessageType.JOINT_COMMAND, ResultCode.INVALID_VALUE]);
  });

  test('check 10 holds over a long session: a command answering the newest state is taken after more than 32768 frames', async () => {
    const { open, enable, tick, host, lastState, lastAck, command, sent } = await bench();
    await open();
    await enable();
    // Every device → host message is refused with a NAK, a frame of its own: 33000 of them move the
    // device's count half the sequence space past the session's first state, as 11 minutes at 50 Hz would.
    const from = sent.length;
    for (let i = 0; i < 33_000; i++) host({ type: MessageType.ACK, ackedType: MessageType.HELLO, ackedSeq: 0, result: ResultCode.OK });
    assert.equal(sent.length - from, 33_000);
    await tick();
    const seq = host(command([0.1, 0.1]));
    await tick();
    assert.equal(lastState().lastCommandSeq, seq, `the command was refused: ${JSON.stringify(lastAck())}`);
  });

  test('device → host messages are refused with UNSUPPORTED_MESSAGE; CONFIGURE is all or nothing', async () => {
    const {
      open,
      host,
      lastAck,
      firmware,
      firmware: { defaultWatchdogMs },
    } = await bench();
    host({ type: MessageType.CONFIGURE, watchdogTimeoutMs: 1000, stateRateHz: 0 });
    assert.equal(lastAck().result, ResultCode.NO_SESSION);
    await open();
    host({ type: MessageType.ACK, ackedType: 1, ackedSeq: 1, result: 0 });
    assert.equal(lastAck().result, ResultCode.UNSUPPORTED_MESSAGE);
    host({ type: MessageType.CONFIGURE, watchdogTimeoutMs: 5, stateRateHz: 0 });
    assert.equal(lastAck().result, ResultCode.INVALID_VALUE);
    host({ type: MessageType.CONFIGURE, watchdogTimeoutMs: 1000, stateRateHz: 49 });
    assert.equal(lastAck().result, ResultCode.INVALID_VALUE);
    assert.equal(firmware.currentWatchdogMs, defaultWatchdogMs, 'nothing changed');
    host({ type: MessageType.CONFIGURE, watchdogTimeoutMs: 1000, stateRateHz: 50 });
    assert.equal(lastAck().result, ResultCode.OK);
    assert.equal(firmware.currentWatchdogMs, 1000);
  });
});

describe('simulated firmware: commands', () => {
  test('the ten acceptance checks, in order, each with its NAK', async () => {
    const { firmware, open, enable, host, tick, lastAck, lastState, command } = await bench();
    firmware.boot();
    // 1 no session (the device has sent no state either)
    host({ type: MessageType.JOINT_COMMAND, deadlineUs: 1, stateSeq: 0, mode: CommandModeBit.POSITION, target: new Float32Array(2) });
    assert.equal(lastAck().result, ResultCode.NO_SESSION);
    await open();
    host(command([0, 0]));
    assert.equal(lastAck().result, ResultCode.TORQUE_DISABLED);
    host({ type: MessageType.ESTOP });
    await tick();
    host(command([0, 0]));
    assert.equal(lastAck().result, ResultCode.ESTOPPED);
    host({ type: MessageType.ESTOP_CLEAR });
    firmware.injectFault({ code: FaultCode.OVERHEAT });
    await tick();
    host(command([0, 0]));
    assert.equal(lastAck().result, ResultCode.FAULT_ACTIVE);
    host({ type: MessageType.ESTOP_CLEAR });
    await enable();
    const cases: [string, () => Message, number][] = [
      ['joint count', () => command([0, 0, 0]), ResultCode.JOINT_COUNT],
      ['mode', () => command([0, 0], { mode: CommandModeBit.EFFORT }), ResultCode.UNSUPPORTED_MODE],
      ['stale', () => command([0, 0], { deadlineUs: firmware.nowUs() - 1 }), ResultCode.STALE],
      ['horizon', () => command([0, 0], { deadlineUs: firmware.nowUs() + 1_000_001 }), ResultCode.INVALID_VALUE],
      ['state never sent', () => command([0, 0], { stateSeq: (lastState().seq + 5) & 0xffff }), ResultCode.INVALID_VALUE],
    ];
    for (const [name, message, result] of cases) {
      await tick();
      host(message());
      assert.equal(lastAck().result, result, name);
    }
    await tick();
    const accepted = host(command([0.1, -0.1]));
    await tick();
    assert.equal(lastState().lastCommandSeq, accepted);
    assert.equal(lastState().activeMode, CommandModeBit.POSITION);
    // Out of order: a seq that is not newer than the last accepted one.
    host(command([0.1, -0.1]), accepted - 1);
    assert.equal(lastAck().result, ResultCode.OUT_OF_ORDER);
    assert.equal(firmware.commandsApplied, 1);
  });

  test('at most one NAK per state period; every refusal is counted', async () => {
    const { open, host, tick, acks, lastState, command } = await bench();
    await open();
    const before = acks().length;
    for (let i = 0; i < 5; i++) host(command([0, 0]));
    assert.equal(acks().length, before + 1);
    await tick();
    assert.equal(lastState().commandsRejected, 5);
    host(command([0, 0]));
    assert.equal(acks().length, before + 2, 'a new period, a new NAK');
  });

  test('the watchdog drops torque after 500 ms without a command or heartbeat, and says so', async () => {
    const { open, enable, host, tick, of, lastState, firmware } = await bench();
    await open();
    await enable();
    for (let i = 0; i < 30; i++) {
      host({ type: MessageType.HEARTBEAT, timeUs: i, status: 0 });
      await tick();
    }
    assert.equal(firmware.torqueEnabled, true, 'heartbeats feed it');
    await tick(24);
    assert.equal(firmware.torqueEnabled, true, 'not yet');
    await tick(2);
    assert.equal(firmware.torqueEnabled, false);
    const fault = of<FaultMessage>(MessageType.FAULT).at(-1)!;
    assert.deepEqual([fault.code, fault.flags, fault.joint], [FaultCode.WATCHDOG_EXPIRED, 0, 0xff]);
    assert.ok((lastState().deviceStatus & DeviceStatus.WATCHDOG_EXPIRED) !== 0);
    await enable();
    assert.equal(lastState().deviceStatus & DeviceStatus.WATCHDOG_EXPIRED, 0, 'a TORQUE enable clears it');
  });

  test('a frame that arrives after the watchdog deadline, before the next period, finds the watchdog expired', async () => {
    // A hung control loop that resumes: the late frame must not count as fresh feeding.
    const { open, enable, host, firmware, of, command, clock } = await bench();
    await open();
    await enable();
    const lateCommand = command([0.1, 0.1], { deadlineUs: 10_000_000 });
    await clock.advance(600);
    host(lateCommand);
    assert.equal(firmware.torqueEnabled, false);
    assert.equal(of<FaultMessage>(MessageType.FAULT).at(-1)!.code, FaultCode.WATCHDOG_EXPIRED);
  });

  test('the host going offline (MQTT) counts as an expired watchdog', async () => {
    const { open, enable, firmware, lastState, tick } = await bench();
    await open();
    await enable();
    firmware.hostWentOffline();
    await tick();
    assert.equal(firmware.torqueEnabled, false);
    assert.ok((lastState().deviceStatus & DeviceStatus.WATCHDOG_EXPIRED) !== 0);
  });
});

describe('simulated firmware: e-stop, faults, limits', () => {
  test('ESTOP latches until ESTOP_CLEAR, which the engaged input refuses', async () => {
    const { open, enable, host, tick, lastAck, lastState, firmware } = await bench();
    await open();
    await enable();
    host({ type: MessageType.ESTOP });
    assert.equal(lastAck().result, ResultCode.OK);
    await tick();
    assert.equal(lastState().deviceStatus & (DeviceStatus.ESTOPPED | DeviceStatus.TORQUE_ENABLED), DeviceStatus.ESTOPPED);
    host({ type: MessageType.ESTOP });
    assert.equal(lastAck().result, ResultCode.OK, 'also when already latched');
    host({ type: MessageType.TORQUE, enable: true });
    assert.equal(lastAck().result, ResultCode.ESTOPPED);
    firmware.setEstopInput(true);
    host({ type: MessageType.ESTOP_CLEAR });
    assert.equal(lastAck().result, ResultCode.ESTOP_INPUT_ACTIVE);
    firmware.setEstopInput(false);
    host({ type: MessageType.ESTOP_CLEAR });
    assert.equal(lastAck().result, ResultCode.OK);
    await tick();
    assert.equal(lastState().deviceStatus & (DeviceStatus.ESTOPPED | DeviceStatus.TORQUE_ENABLED), 0, 'released, and torque stays off');
  });

  test('a latched fault clears only once its cause is gone; one that needs a reboot stays until boot', async () => {
    const { open, host, clock, lastAck, firmware, tick, lastState } = await bench();
    await open();
    firmware.injectFault({ code: FaultCode.FOLLOWING_ERROR, joint: 1, persistsMs: 1000 });
    await tick();
    assert.ok((lastState().jointStatus[1] & JointStatus.FAULT) !== 0);
    host({ type: MessageType.ESTOP_CLEAR });
    assert.equal(lastAck().result, ResultCode.FAULT_ACTIVE);
    await clock.advance(1000);
    host({ type: MessageType.ESTOP_CLEAR });
    assert.equal(lastAck().result, ResultCode.OK);
    firmware.injectFault({ code: FaultCode.OVERCURRENT, flags: FaultFlag.LATCHED | FaultFlag.REBOOT_REQUIRED });
    await clock.advance(60_000);
    host({ type: MessageType.ESTOP_CLEAR });
    assert.equal(lastAck().result, ResultCode.FAULT_ACTIVE);
    await open();
    assert.equal(firmware.deviceStatus & DeviceStatus.FAULT, 0, 'a power cycle clears it');
  });

  test('position targets are clamped into range and followed no faster than the joint may move', async () => {
    const { calibration, open, enable, host, tick, lastState, command, of } = await bench();
    await open();
    await enable();
    const maxStepRad = calibration.joints[0].limits.maxVelocityRadS / calibration.controlHz;
    let previous = lastState().positionRad[0];
    let clampedSeen = false;
    let atLimitSeen = false;
    for (let i = 0; i < 120; i++) {
      host(command([3.5, 0]));
      await tick();
      const state = lastState();
      clampedSeen ||= (state.jointStatus[0] & JointStatus.CLAMPED) !== 0 && (state.deviceStatus & DeviceStatus.LIMIT_ACTIVE) !== 0;
      atLimitSeen ||= (state.jointStatus[0] & JointStatus.AT_LIMIT) !== 0;
      assert.ok(state.positionRad[0] <= 2.6 + POSITION_FAULT_MARGIN_RAD, `joint 0 at ${state.positionRad[0]} rad`);
      assert.ok(state.positionRad[0] - previous <= maxStepRad * 1.5 + 0.005, `moved ${state.positionRad[0] - previous} rad in one period`);
      previous = state.positionRad[0];
    }
    assert.ok(clampedSeen);
    assert.ok(lastState().positionRad[0] > 2.5, 'it got to the limit');
    assert.ok(atLimitSeen, 'AT_LIMIT while the joint touched its limit');
    assert.equal(of(MessageType.FAULT).length, 0, 'the servo stays within the fault margin');
  });

  test('a target within range followed at the joint maximum velocity is not a clamp: neither CLAMPED nor LIMIT_ACTIVE', async () => {
    const { calibration, open, enable, host, tick, lastState, command } = await bench();
    await open();
    await enable();
    const maxStepRad = calibration.joints[0].limits.maxVelocityRadS / calibration.controlHz;
    const start = lastState().positionRad[0];
    const goal = start + 6 * maxStepRad > 2.4 ? start - 6 * maxStepRad : start + 6 * maxStepRad;
    for (let i = 0; i < 4; i++) {
      host(command([goal, lastState().positionRad[1]]));
      await tick();
      const state = lastState();
      assert.equal(state.jointStatus[0] & JointStatus.CLAMPED, 0, `period ${i}`);
      assert.equal(state.deviceStatus & DeviceStatus.LIMIT_ACTIVE, 0, `period ${i}`);
    }
    assert.ok(Math.abs(lastState().positionRad[0] - start) > maxStepRad, 'it moved toward the goal');
    assert.ok(Math.abs(lastState().positionRad[0] - goal) > maxStepRad, 'no faster than the joint may move');
  });

  test('efforts are clamped to the joint maximum and fall to zero after their deadline', async () => {
    const { open, enable, host, tick, lastState, command } = await bench('pendulum');
    await open();
    await enable();
    host(command([5], { mode: CommandModeBit.EFFORT, deadlineUs: lastState().deviceTimeUs + 200_000 }));
    await tick();
    assert.ok(Math.abs(lastState().effortNm[0] - 2) < 1e-6, `effort ${lastState().effortNm[0]}`);
    assert.ok((lastState().jointStatus[0] & JointStatus.CLAMPED) !== 0);
    await tick(12);
    assert.equal(lastState().effortNm[0], 0, 'past the deadline: no effort');
  });
});
